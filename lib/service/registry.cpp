// The closed set of services: one line each. To add a service, write it
// against tcp/stream.hpp in this directory, give it a ServiceKind
// (tcp/conn.hpp) and a case here (docs/services.md). The generator's client
// is defined in lib/gen (client_event, declared in tcp/stream.hpp).
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
      return client_event(s, e);
  }
}

}  // namespace pmx::tcp
