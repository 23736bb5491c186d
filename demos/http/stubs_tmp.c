#include "http.h"
void ws_run(scope_demo_t *d) { scope_demo_next(d); }
void ws_route(http_server_t *s, size_t m, uint64_t p) { (void)s; (void)m; (void)p; }
void ws_stop(void) {}
