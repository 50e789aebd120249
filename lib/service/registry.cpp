// The closed set of services: a switch generated from services.def (one
// case per line of the table), chosen at build time: no function pointer,
// no virtual call. To add a service, write it against tcp/stream.hpp in
// this directory and add its line to services.def (docs/services.md). The
// generator's client is defined in lib/gen (client_event, declared in
// tcp/stream.hpp).
#include "service/catalog.hpp"
#include "service/services.hpp"

namespace pmx::tcp {

void service_event(Stream& s, StreamEvent e) {
  // On the id's value: the table's ids are constants, not enumerators of
  // ServiceKind. Every id the engine carries comes from the table (the
  // listener's spec) or is the client.
  switch (static_cast<uint8_t>(s.kind())) {
#define PMX_SERVICE(KIND, NAME, FILE, EVENT, ...)  \
  case static_cast<uint8_t>(service::Index::KIND): \
    return service::EVENT(s, e);
#include "service/services.def"
#undef PMX_SERVICE
    case static_cast<uint8_t>(ServiceKind::Client):
      return client_event(s, e);
  }
}

}  // namespace pmx::tcp
