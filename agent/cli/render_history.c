/*
 * render_history.c - `show issu history`: the get-history RPC's output as
 * text. The counters first (and whether they survive restarts), then each
 * round with its trigger, verdict and session counts, and under it the
 * round's events with their reasons, oldest first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "issu_err.h"
#include "render.h"

static int is(const struct lyd_node *n, const char *name)
{
    return n->schema && !strcmp(n->schema->name, name);
}

static unsigned long long num(const struct lyd_node *n, const char *name)
{
    return strtoull(issu_tree_str(n, name, "0"), NULL, 10);
}

/* @p n or the first event after it. */
static const struct lyd_node *next_event(const struct lyd_node *n)
{
    while (n && !is(n, "event"))
        n = n->next;
    return n;
}

static void event_line(FILE *f, const struct lyd_node *e)
{
    const char *kind = issu_tree_str(e, "kind", "?"), *time = issu_tree_str(e, "time", "?");
    const struct lyd_node *c;
    int first = 1;

    if (!strcmp(kind, "session")) {
        fprintf(f, "    %s  Session_ID = %u, Client_ID = %u, Session_Name = %s : %s -> %s", time,
                issu_tree_u32(e, "session-id", 0), issu_tree_u32(e, "client-id", 0),
                issu_tree_str(e, "session-name", "-"), issu_tree_str(e, "old-result", "?"),
                issu_tree_str(e, "result", "?"));
        if (strcmp(issu_tree_str(e, "old-effective-result", ""), issu_tree_str(e, "effective-result", "")))
            fprintf(f, " (effective %s -> %s)", issu_tree_str(e, "old-effective-result", "?"),
                    issu_tree_str(e, "effective-result", "?"));
        LY_LIST_FOR(lyd_child(e), c) {
            if (!is(c, "chain"))
                continue;
            fprintf(f, "%s%s", first ? ", chain " : " -> ", lyd_get_value(c));
            first = 0;
        }
    } else if (!strcmp(kind, "verdict")) {
        fprintf(f, "    %s  Verdict : %s -> %s", time, issu_tree_str(e, "old-verdict", "?"),
                issu_tree_str(e, "verdict", "?"));
    } else {
        fprintf(f, "    %s  Peer %u %s : %s -> %s", time, issu_tree_u32(e, "peer-unique-id", 0),
                !strcmp(kind, "peer-lost") ? "lost" : "back", issu_tree_str(e, "old-peer-state", "?"),
                issu_tree_str(e, "peer-state", "?"));
    }
    fprintf(f, "\n      Reason: %s\n", issu_tree_str(e, "reason", "-"));
}

int issu_render_history(FILE *f, const struct lyd_node *out)
{
    const struct lyd_node *r, *e;
    const char *persistent = issu_tree_str(out, "persistent", "false");
    unsigned rounds = 0, events = 0, orphans = 0;

    fprintf(f, "History: %s\n", !strcmp(persistent, "true") ? "kept in the state directory (survives restarts)"
                                                              : "in memory only (lost when issud stops)");
    fprintf(f, "Negotiations = %s, Results changed = %s, since %s\n", issu_tree_str(out, "negotiations-total", "0"),
            issu_tree_str(out, "results-changed-total", "0"), issu_tree_str(out, "discontinuity-time", "?"));
    fprintf(f, "Rounds stored = %s, Events stored = %s, Oldest event = %s\n", issu_tree_str(out, "rounds-stored", "0"),
            issu_tree_str(out, "events-stored", "0"), issu_tree_str(out, "oldest-event-time", "none"));
    if (strcmp(issu_tree_str(out, "rounds-dropped", "0"), "0") || strcmp(issu_tree_str(out, "write-errors", "0"), "0"))
        fprintf(f, "Not recorded since start: %s rounds dropped (writer behind), %s lost to write errors\n",
                issu_tree_str(out, "rounds-dropped", "0"), issu_tree_str(out, "write-errors", "0"));
    /* rounds and events both come oldest first: one merge walk */
    e = next_event(lyd_child(out));
    LY_LIST_FOR(lyd_child(out), r) {
        unsigned long long id;

        if (!is(r, "round"))
            continue;
        id = num(r, "id");
        for (; e && num(e, "round") < id; e = next_event(e->next), events++) {
            if (!orphans++)
                fprintf(f, "\nEvents of rounds not shown:\n");
            event_line(f, e);
        }
        rounds++;
        fprintf(f, "\nRound %s at %s (%s): verdict %s, peer %s\n", issu_tree_str(r, "id", "?"),
                issu_tree_str(r, "time", "?"), issu_tree_str(r, "trigger", "?"), issu_tree_str(r, "verdict", "?"),
                issu_tree_str(r, "peer-state", "?"));
        fprintf(f, "  Image = %s %s, Peer UniqueID = %u, Peer image = %s %s\n", issu_tree_str(r, "image-name", "-"),
                issu_tree_str(r, "image-version", ""), issu_tree_u32(r, "peer-unique-id", 0),
                issu_tree_str(r, "peer-image-name", "-"), issu_tree_str(r, "peer-image-version", ""));
        fprintf(f, "  Sessions = %u (compatible %u, incompatible %u, unknown %u), Events = %u\n",
                issu_tree_u32(r, "sessions", 0), issu_tree_u32(r, "sessions-compatible", 0),
                issu_tree_u32(r, "sessions-incompatible", 0), issu_tree_u32(r, "sessions-unknown", 0),
                issu_tree_u32(r, "events", 0));
        if (issu_tree_child(r, "verdict-reason"))
            fprintf(f, "  Verdict reason: %s\n", issu_tree_str(r, "verdict-reason", ""));
        for (; e && num(e, "round") == id; e = next_event(e->next), events++)
            event_line(f, e);
    }
    for (orphans = 0; e; e = next_event(e->next), events++) {
        if (!orphans++)
            fprintf(f, "\nEvents of rounds not shown:\n");
        event_line(f, e);
    }
    if (!rounds && !events)
        fprintf(f, "\nNo rounds in that range.\n");
    if (!strcmp(issu_tree_str(out, "truncated", "false"), "true"))
        fprintf(f, "\n(more events matched: raise --limit or narrow --since)\n");
    return ferror(f) ? ISSU_ERR_IO : ISSU_OK;
}
