// The closed set of server services: one line each. To add a service, write
// it against tcp/stream.hpp in this directory, give it a ServiceKind
// (tcp/conn.hpp) and a case here (docs/services.md).
#include "services.hpp"

namespace pmx::tcp {

void service_event(Stream& s, StreamEvent e) {
  switch (s.kind()) {
    case ServiceKind::Echo:
      return service::echo_event(s, e);
    case ServiceKind::Discard:
      return service::discard_event(s, e);
    case ServiceKind::Http:
      return service::http_event(s, e);
    case ServiceKind::Chargen:
      return service::chargen_event(s, e);
    case ServiceKind::Client:
      return;  // the engine's own (tcp/client.cpp)
  }
}

}  // namespace pmx::tcp
