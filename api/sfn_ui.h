/* sfn_ui.h: the web console, served by stepd serve at /ui/.  Its assets
 * are built from ui/ by the build (npm + esbuild) and compiled into the
 * binary as a table (generated ui_assets.c); without node/npm the table is
 * empty and /ui/ answers a page saying how to build the console. */
#ifndef SFN_UI_H
#define SFN_UI_H

#include <stdbool.h>
#include <stddef.h>

#include "sfn_http.h"

typedef struct sfn_ui_asset {
    const char *path;          /* below /ui/: "index.html", "assets/app-H.js" */
    const char *content_type;  /* with charset for text                       */
    const unsigned char *data;
    size_t len;
    const unsigned char *gz;   /* the gzip'd bytes, NULL when there are none  */
    size_t gz_len;
    const char *etag;          /* quoted; the gzip variant appends "-gz"      */
    bool immutable;            /* content-hashed name: cached for a year      */
} sfn_ui_asset;

/* The embedded assets (static storage; *n = 0 and NULL when the console
 * was not built).  Defined by the generated ui_assets.c. */
const sfn_ui_asset *sfn_ui_asset_table(size_t *n);
/* Why the console is missing ("" when it was built); static storage. */
const char *sfn_ui_build_note(void);

/* Answers GET/HEAD of /ui, /ui/ and /ui/<asset>, and GET / (a redirect to
 * /ui/).  Fills resp (body malloc'd, as sfn_http.h says): 200 with the
 * asset, its content type, ETag and caching headers (gzip when the client
 * accepts it), 304 for a matching If-None-Match, 301 for /ui and /, 404
 * for an unknown asset, 405 for other methods.  Needs no auth: the assets
 * hold no data; the console's API calls carry the bearer token. */
void sfn_ui_handle(const sfn_http_req *req, sfn_http_resp *resp);

#endif
