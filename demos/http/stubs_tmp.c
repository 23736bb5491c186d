#include "http.h"
void badpeers_run(scope_demo_t *d) { scope_demo_next(d); }
void ws_run(scope_demo_t *d) { scope_demo_next(d); }
void ws_route(http_server_t *s, size_t m, uint64_t p) { (void)s; (void)m; (void)p; }
void ws_stop(void) {}
void sse_run(scope_demo_t *d) { scope_demo_next(d); }
void sse_route(http_server_t *s) { (void)s; }
void sse_stop(void) {}
