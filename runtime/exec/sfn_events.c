/* sfn_events.c: event type names and the API rendering of an event. */
#include "sfn_events.h"

#include <pthread.h>
#include <string.h>

static json_t *not_truncated;
static pthread_once_t not_truncated_once = PTHREAD_ONCE_INIT;

static void make_not_truncated(void)
{
    not_truncated = json_pack("{s:b}", "truncated", 0);
}

json_t *sfn_event_not_truncated(void)
{
    /* shared by every event: jansson's reference counts are atomic and
     * nothing modifies the object */
    pthread_once(&not_truncated_once, make_not_truncated);
    return json_incref(not_truncated);
}

static const char *const type_names[] = {
#define SFN__EV_NAME(name, member) #name,
    SFN_EVENT_TYPES(SFN__EV_NAME)
#undef SFN__EV_NAME
};

static const char *const members[] = {
#define SFN__EV_MEMBER(name, member) member,
    SFN_EVENT_TYPES(SFN__EV_MEMBER)
#undef SFN__EV_MEMBER
};

const char *sfn_event_type_name(sfn_event_type t)
{
    return (unsigned)t < SFN_EV__COUNT ? type_names[t] : NULL;
}

const char *sfn_event_details_member(sfn_event_type t)
{
    return (unsigned)t < SFN_EV__COUNT ? members[t] : NULL;
}

int sfn_event_type_from_name(const char *name)
{
    for (int i = 0; i < SFN_EV__COUNT; i++)
        if (!strcmp(type_names[i], name))
            return i;
    return -1;
}

static int is_data_member(const char *k)
{
    return !strcmp(k, "input") || !strcmp(k, "output") ||
           !strcmp(k, "parameters");
}

json_t *sfn_event_to_json(const sfn_event *e, int include_data)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "id", json_integer(e->id));
    json_object_set_new(o, "previousEventId", json_integer(e->prev));
    json_object_set_new(o, "timestamp", json_real((double)e->ts_ms / 1000.0));
    json_object_set_new(o, "type", json_string(sfn_event_type_name(e->type)));
    const char *member = sfn_event_details_member(e->type);
    if (member && e->details) {
        json_t *d = e->details;
        if (!include_data) {
            d = json_copy(e->details);
            const char *k;
            void *tmp;
            json_t *v;
            json_object_foreach_safe(d, tmp, k, v) {
                (void)v;
                if (is_data_member(k))
                    json_object_del(d, k);
            }
        } else {
            json_incref(d);
        }
        json_object_set_new(o, member, d);
    }
    return o;
}
