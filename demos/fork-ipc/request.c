/* fork-ipc's step 7: request/response with correlation ids.
 *
 * Three {id, action: 'getUser', params: {id: 123}} go out before any answer
 * is in; the child may answer in any order, so each answer names the id of
 * the request it answers, and that id, not the order, pairs them.
 */
#include "events.h"
#include "fork-ipc.h"

#define REQUESTS 3

static int answered;

static int on_answer(fork_ipc_t *p, const cJSON *msg)
{
    if (!fork_ipc_is(msg, "status", "success"))
        return FORK_IPC_NOT_IT;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(msg, "id");
    const cJSON *user = cJSON_GetObjectItemCaseSensitive(msg, "data");
    user = cJSON_GetObjectItemCaseSensitive(user, "id");
    int n = cJSON_IsNumber(id) ? id->valueint : -1;
    if (n < 1 || n > REQUESTS)
        scope_events_error("correlation", "an answer with id %d matches no question", n);
    else
        scope_events_log("answer to request %d: user %d", n,
                         cJSON_IsNumber(user) ? user->valueint : -1);
    scope_demo_figure_add(p->demo, "answered", 1);
    return ++answered == REQUESTS ? FORK_IPC_DONE : FORK_IPC_MORE;
}

void fork_ipc_request(scope_demo_t *d)
{
    fork_ipc_t *p = d->data;
    for (int i = 1; i <= REQUESTS; i++) { /* all go out before any answer is in */
        cJSON *m = cJSON_CreateObject();
        cJSON_AddNumberToObject(m, "id", i);
        cJSON_AddStringToObject(m, "action", "getUser");
        cJSON_AddNumberToObject(cJSON_AddObjectToObject(m, "params"), "id", 123);
        fork_ipc_send(p, m);
    }
    fork_ipc_await(p, N_("getUser answer"), on_answer);
    scope_events_log("%d getUser requests in flight; each answer names its request's id",
                     REQUESTS);
}
