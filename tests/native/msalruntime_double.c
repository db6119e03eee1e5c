/*
 * msalruntime_double: a test double of MSALRuntime's C ABI (0.20.x, Linux flavour: os_char is
 * UTF-8 char, WINDOW_HANDLE is int64_t). It exports the same 65 MSALRUNTIME_* functions with
 * the prototypes of .tmp/msalruntime-api.md and behaves plausibly (a broker with three fixed
 * users), so that entra-auth's binding can be driven through its public API and checked for
 * what the real library cannot show:
 *
 * - every handle of every kind is counted while live, and releasing a handle twice, releasing
 *   an unknown pointer or releasing it with the wrong Release* function is counted (the memory
 *   of a handle is never reused, so a late release is always recognised);
 * - faults per operation: complete with an error status, never complete (until
 *   double_release_hung), fail synchronously, or complete before the *Async call returns;
 * - Shutdown is counted, and so is a Shutdown made while an operation is outstanding (the
 *   real library blocks forever then; this one waits at most one second).
 *
 * Unlike the real library, every error handle is a fresh allocation (the real one returns
 * static singletons for InsufficientBuffer and InvalidArgument), so that forgetting to release
 * one shows up in the counters.
 *
 * Control functions are prefixed double_ (see the bottom of this file and
 * tests/support/msalruntime_double.ts). Compiled by the tests with the system cc; never
 * committed as a binary.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

/* ---------------------------------------------------------------- the public types */

#define DECLARE_HANDLE(name) \
  struct name##__ { int unused; }; \
  typedef struct name##__ *name
DECLARE_HANDLE(MSALRUNTIME_ERROR_HANDLE);
DECLARE_HANDLE(MSALRUNTIME_AUTH_PARAMETERS_HANDLE);
DECLARE_HANDLE(MSALRUNTIME_AUTH_RESULT_HANDLE);
DECLARE_HANDLE(MSALRUNTIME_SIGNOUT_RESULT_HANDLE);
DECLARE_HANDLE(MSALRUNTIME_READ_ACCOUNT_RESULT_HANDLE);
DECLARE_HANDLE(MSALRUNTIME_DISCOVER_ACCOUNTS_RESULT_HANDLE);
DECLARE_HANDLE(MSALRUNTIME_ACCOUNT_HANDLE);
DECLARE_HANDLE(MSALRUNTIME_ASYNC_HANDLE);
DECLARE_HANDLE(MSALRUNTIME_LOG_CALLBACK_HANDLE);

typedef char os_char;
typedef int bool_t;
typedef int64_t WINDOW_HANDLE;
typedef enum { Msalruntime_Log_Level_Trace = 1, Msalruntime_Log_Level_Debug, Msalruntime_Log_Level_Info,
  Msalruntime_Log_Level_Warning, Msalruntime_Log_Level_Error, Msalruntime_Log_Level_Fatal } MSALRUNTIME_LOG_LEVEL;
typedef enum { Msalruntime_Response_Status_Unexpected = 0 } MSALRUNTIME_RESPONSE_STATUS;
typedef enum { Msalruntime_Sso_Policy_Unknown = 0 } MSALRUNTIME_SSO_POLICY_TYPE;

typedef void (*MSALRUNTIME_COMPLETION_ROUTINE)(MSALRUNTIME_AUTH_RESULT_HANDLE, void *);
typedef void (*MSALRUNTIME_SIGNOUT_COMPLETION_ROUTINE)(MSALRUNTIME_SIGNOUT_RESULT_HANDLE, void *);
typedef void (*MSALRUNTIME_READ_ACCOUNT_COMPLETION_ROUTINE)(MSALRUNTIME_READ_ACCOUNT_RESULT_HANDLE, void *);
typedef void (*MSALRUNTIME_DISCOVER_ACCOUNTS_COMPLETION_ROUTINE)(MSALRUNTIME_DISCOVER_ACCOUNTS_RESULT_HANDLE, void *);
typedef void (*MSALRUNTIME_LOG_CALLBACK_ROUTINE)(const os_char *, const MSALRUNTIME_LOG_LEVEL, void *);
typedef void (*any_routine)(void *, void *);

enum {
  ST_UNEXPECTED = 0, ST_INTERACTION_REQUIRED = 2, ST_API_CONTRACT_VIOLATION = 6, ST_APPLICATION_CANCELED = 8,
  ST_INSUFFICIENT_BUFFER = 10, ST_ACCOUNT_UNUSABLE = 13, ST_ACCOUNT_NOT_FOUND = 16,
};

/* ---------------------------------------------------------------- handles and their registry */

/* Kinds, as double_live_handles(kind) takes them. */
enum kind { K_ERROR, K_PARAMS, K_AUTH_RESULT, K_ACCOUNT, K_ASYNC, K_SIGNOUT, K_READ, K_DISCOVER, K_LOG, K_COUNT };
#define MAGIC 0x4d534144u

typedef struct handle { uint32_t magic; int kind; int released; } handle;

typedef struct err_t {
  handle h;
  int32_t status;
  int64_t code;
  int32_t tag;
  char *context;
} err_t;

typedef struct params_t {
  handle h;
  char *client_id, *authority, *scopes, *redirect_uri, *claims, *renew;
  char *pop_method, *pop_host, *pop_path, *pop_nonce;
  char *additional; /* JSON members: "k":"v","k2":"v2" */
} params_t;

typedef struct account_t { handle h; int user; } account_t;

/* One struct serves the four result kinds (auth, sign-out, read-account, discover). */
typedef struct result_t {
  handle h;
  int failed;
  int32_t status;
  char op[40];
  int user; /* auth and read results: the account's user, or -1 */
  int users[8]; /* discover: the accounts */
  int user_count;
  char *access_token, *id_claims, *raw_id_token, *scopes, *auth_header, *telemetry;
  int64_t expires_on;
  int pop;
} result_t;

typedef struct async_t { handle h; atomic_int canceled; atomic_int completed; } async_t;

typedef struct logcb_t {
  handle h;
  MSALRUNTIME_LOG_CALLBACK_ROUTINE fn;
  void *data;
  atomic_int active;
} logcb_t;

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static handle **registry;
static size_t registry_count, registry_capacity;
static atomic_int live[K_COUNT];
static atomic_int bad_releases;
static atomic_int bad_uses;

static void *new_handle(int kind, size_t size) {
  handle *h = calloc(1, size);
  h->magic = MAGIC;
  h->kind = kind;
  pthread_mutex_lock(&registry_lock);
  if (registry_count == registry_capacity) {
    registry_capacity = registry_capacity ? registry_capacity * 2 : 1024;
    registry = realloc(registry, registry_capacity * sizeof *registry);
  }
  registry[registry_count++] = h;
  pthread_mutex_unlock(&registry_lock);
  atomic_fetch_add(&live[kind], 1);
  return h;
}

/* Whether p is a handle this library made (its memory is never freed, so this stays true). */
static int registered(const void *p) {
  if (!p) return 0;
  pthread_mutex_lock(&registry_lock);
  int found = 0;
  for (size_t i = registry_count; i > 0; i--) {
    if (registry[i - 1] == p) { found = 1; break; }
  }
  pthread_mutex_unlock(&registry_lock);
  return found;
}

/* The handle behind p when it is live and of `kind`; NULL otherwise (counting a bad use
 * when p is non-NULL: released, unknown or of another kind). */
static void *use(const void *p, int kind) {
  if (!p) return NULL;
  if (!registered(p)) { atomic_fetch_add(&bad_uses, 1); return NULL; }
  handle *h = (handle *)p;
  if (h->kind != kind || h->released) { atomic_fetch_add(&bad_uses, 1); return NULL; }
  return h;
}

/* Releases p as a handle of `kind`: 1 done, 0 for NULL, -1 bad (counted). */
static int release(const void *p, int kind) {
  if (!p) return 0;
  if (!registered(p)) { atomic_fetch_add(&bad_releases, 1); return -1; }
  handle *h = (handle *)p;
  pthread_mutex_lock(&registry_lock);
  int ok = h->kind == kind && !h->released;
  if (ok) h->released = 1;
  pthread_mutex_unlock(&registry_lock);
  if (!ok) { atomic_fetch_add(&bad_releases, 1); return -1; }
  atomic_fetch_sub(&live[kind], 1);
  return 1;
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

/* ---------------------------------------------------------------- state and options */

static atomic_int started;
static atomic_int pii_enabled;
static atomic_int option_delay_ms = 5;
static atomic_int option_log_lock;
/* When non-zero, the HRESULT (as uint32) that failed operations report instead of their own. */
static atomic_int option_error_code;
/* When non-zero, results grant no scopes (an empty GetGrantedScopes). */
static atomic_int option_no_granted_scopes;
/* When non-zero, failed operations report an empty context. */
static atomic_int option_no_error_context;
static atomic_int signed_in_mask = 7;
static atomic_int outstanding;
static atomic_int threads_in_flight;
static atomic_int calls_in_progress; /* *Async calls that have not returned yet */
static atomic_int callbacks_delivered;
static atomic_int early_completions;
static atomic_int shutdown_while_outstanding;
static atomic_int log_lines_caller, log_lines_worker;
static atomic_int token_serial;
static __thread int on_worker_thread;

static pthread_mutex_t wait_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wait_cond = PTHREAD_COND_INITIALIZER;
static int hung_generation;

/* Call counts by short name ("SignInSilently", "Shutdown", …). */
#define MAX_NAMES 96
static pthread_mutex_t calls_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *call_names[MAX_NAMES];
static int call_counts[MAX_NAMES];
static int call_name_count;

static void count_call(const char *name) {
  pthread_mutex_lock(&calls_lock);
  int i = 0;
  while (i < call_name_count && strcmp(call_names[i], name) != 0) i++;
  if (i == call_name_count && call_name_count < MAX_NAMES) call_names[call_name_count++] = name;
  if (i < MAX_NAMES) call_counts[i]++;
  pthread_mutex_unlock(&calls_lock);
}

/* Faults per operation (short name, or "*" for every async operation). */
enum mode { M_COMPLETE = 0, M_ERROR = 1, M_HANG = 2, M_SYNC_FAIL = 3, M_EARLY = 4 };
typedef struct fault { char op[40]; int32_t status; int32_t delay_ms; int32_t mode; } fault;
#define MAX_FAULTS 32
static pthread_mutex_t faults_lock = PTHREAD_MUTEX_INITIALIZER;
static fault faults[MAX_FAULTS];
static int fault_count;

static fault fault_for(const char *op, int async) {
  fault f = { "", 0, atomic_load(&option_delay_ms), M_COMPLETE };
  pthread_mutex_lock(&faults_lock);
  int found = -1;
  for (int i = 0; i < fault_count; i++) {
    if (strcmp(faults[i].op, op) == 0) { found = i; break; }
    if (async && found < 0 && strcmp(faults[i].op, "*") == 0) found = i;
  }
  if (found >= 0) f = faults[found];
  pthread_mutex_unlock(&faults_lock);
  return f;
}

/* The last request an operation received, as JSON (double_last_request). */
static pthread_mutex_t request_lock = PTHREAD_MUTEX_INITIALIZER;
static char *last_request;

/* ---------------------------------------------------------------- users */

typedef struct user {
  const char *account_id, *username, *given, *family, *display, *uid;
} user;
#define TENANT "72f988bf-86f1-41af-91ab-2d7cd011db47"
static const user users[] = {
  { "double-account-alice", "alice@contoso.example", "Alice", "Archer", "Alice Archer",
    "00000000-0000-0000-0000-00000000a11c" },
  { "double-account-bob", "bob@contoso.example", "Bob", "Baker", "Bob Baker",
    "00000000-0000-0000-0000-000000000b0b" },
  { "double-account-chloe", "chlo\xc3\xa9@contoso.example", "Chlo\xc3\xa9", "Ch\xc3\xa2telet",
    "Chlo\xc3\xa9 Ch\xc3\xa2telet \xe2\x9c\x93", "00000000-0000-0000-0000-0000000c10e0" },
};
#define USER_COUNT ((int)(sizeof users / sizeof users[0]))

static int is_signed_in(int u) { return (atomic_load(&signed_in_mask) >> u) & 1; }
static void set_signed_in(int u, int on) {
  if (on) atomic_fetch_or(&signed_in_mask, 1 << u);
  else atomic_fetch_and(&signed_in_mask, ~(1 << u));
}

/* ---------------------------------------------------------------- strings */

typedef struct sbuf { char *p; size_t n, cap; } sbuf;

static void sb_add(sbuf *b, const char *s, size_t len) {
  if (b->n + len + 1 > b->cap) {
    b->cap = (b->n + len + 1) * 2;
    b->p = realloc(b->p, b->cap);
  }
  memcpy(b->p + b->n, s, len);
  b->n += len;
  b->p[b->n] = 0;
}

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...) {
  char tmp[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n > 0) sb_add(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Appends s as a JSON string (or null). */
static void sb_json(sbuf *b, const char *s) {
  if (!s) { sb_add(b, "null", 4); return; }
  sb_add(b, "\"", 1);
  for (const char *c = s; *c; c++) {
    if (*c == '"' || *c == '\\') { sb_add(b, "\\", 1); sb_add(b, c, 1); }
    else if ((unsigned char)*c < 0x20) sb_printf(b, "\\u%04x", (unsigned char)*c);
    else sb_add(b, c, 1);
  }
  sb_add(b, "\"", 1);
}

static void sb_pad(sbuf *b, int count) {
  for (int i = 0; i < count; i++) sb_add(b, "abcdefghij" + (i % 10), 1);
}

static char *base64url(const char *in) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  size_t len = strlen(in);
  char *out = malloc(len * 4 / 3 + 4);
  size_t o = 0;
  for (size_t i = 0; i < len; i += 3) {
    uint32_t v = (uint32_t)(unsigned char)in[i] << 16;
    if (i + 1 < len) v |= (uint32_t)(unsigned char)in[i + 1] << 8;
    if (i + 2 < len) v |= (unsigned char)in[i + 2];
    out[o++] = alphabet[(v >> 18) & 63];
    out[o++] = alphabet[(v >> 12) & 63];
    if (i + 1 < len) out[o++] = alphabet[(v >> 6) & 63];
    if (i + 2 < len) out[o++] = alphabet[v & 63];
  }
  out[o] = 0;
  return out;
}

/* ---------------------------------------------------------------- logging */

#define MAX_LOG_CALLBACKS 8
static pthread_mutex_t log_registry_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t logger_lock = PTHREAD_MUTEX_INITIALIZER;
static logcb_t *log_callbacks[MAX_LOG_CALLBACKS];

static void log_line(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_line(int level, const char *fmt, ...) {
  logcb_t *targets[MAX_LOG_CALLBACKS];
  int n = 0;
  pthread_mutex_lock(&log_registry_lock);
  for (int i = 0; i < MAX_LOG_CALLBACKS; i++) {
    if (log_callbacks[i] && atomic_load(&log_callbacks[i]->active)) targets[n++] = log_callbacks[i];
  }
  pthread_mutex_unlock(&log_registry_lock);
  if (n == 0) return;
  char line[768];
  int len = snprintf(line, sizeof line, "[MSAL:double]\t%s\t", level >= 5 ? "ERROR" : level == 4 ? "WARNING" : "INFO   ");
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line + len, sizeof line - (size_t)len, fmt, ap);
  va_end(ap);
  /* The real logger holds its lock while it calls out; with option log_lock this one does
   * too (a JavaScript thread blocked in another logging call then deadlocks, as in Deno). */
  int locking = atomic_load(&option_log_lock);
  if (locking) pthread_mutex_lock(&logger_lock);
  for (int i = 0; i < n; i++) {
    targets[i]->fn(line, (MSALRUNTIME_LOG_LEVEL)level, targets[i]->data);
    atomic_fetch_add(on_worker_thread ? &log_lines_worker : &log_lines_caller, 1);
  }
  if (locking) pthread_mutex_unlock(&logger_lock);
  /* The message is only valid during the call: overwrite it, as a reused buffer would be. */
  memset(line, 'X', strlen(line));
}

static const char *pii(const char *value) { return atomic_load(&pii_enabled) ? value : "(pii)"; }

/* ---------------------------------------------------------------- errors */

static err_t *make_error(int32_t status, int64_t code, int32_t tag, const char *fmt, ...)
  __attribute__((format(printf, 4, 5)));
static err_t *make_error(int32_t status, int64_t code, int32_t tag, const char *fmt, ...) {
  err_t *e = new_handle(K_ERROR, sizeof *e);
  e->status = status;
  e->code = code;
  e->tag = tag;
  char text[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  e->context = strdup(text);
  return e;
}

/* What a failed operation reports: code 2147942400 + status (int64, above 2^31), tag
 * 0x1f000000 + status, and a context naming the operation (redacted user unless PII). */
static err_t *operation_error(int32_t status, const char *op, int user_index) {
  const char *who = user_index >= 0 ? users[user_index].username : "none";
  int32_t forced = atomic_load(&option_error_code);
  int64_t code = forced ? (int64_t)(uint32_t)forced : 2147942400LL + status;
  if (atomic_load(&option_no_error_context)) return make_error(status, code, 0x1f000000 + status, "%s", "");
  return make_error(status, code, 0x1f000000 + status,
                    "double: %s failed with status %d for user '%s'", op, status, pii(who));
}

static err_t *invalid_handle(const char *what, int32_t tag) {
  return make_error(ST_API_CONTRACT_VIOLATION, 0, tag, "%s", atomic_load(&pii_enabled) ? what : "(pii)");
}

#define RET(e) return (MSALRUNTIME_ERROR_HANDLE)(e)

/* Counts the call and applies a synchronous-failure fault set for it. */
#define ENTER(name) \
  do { \
    count_call(name); \
    fault f_ = fault_for(name, 0); \
    if (f_.mode == M_SYNC_FAIL) RET(operation_error(f_.status, name, -1)); \
  } while (0)

/* The sized string getter convention of MSALRuntime on Linux (see §2.2 of the reference). */
static err_t *put_string(const char *value, os_char *buffer, int32_t *size) {
  if (!size) return make_error(ST_UNEXPECTED, 0x80070057LL, 0x1e000057, "Invalid Argument");
  if (!value || !*value) {
    *size = 0;
    if (buffer) buffer[0] = 0;
    return NULL;
  }
  int32_t needed = (int32_t)strlen(value) + 1;
  int32_t capacity = *size;
  *size = needed;
  if (!buffer || needed > capacity) {
    return make_error(ST_INSUFFICIENT_BUFFER, 0x8007007aLL, 0x1e00007a, "Insufficient buffer");
  }
  memcpy(buffer, value, (size_t)needed);
  return NULL;
}

/* ---------------------------------------------------------------- lifecycle */

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_Startup(void) {
  ENTER("Startup");
  /* A slow broker: a "complete" fault set for Startup holds it for the fault's delay. */
  fault slow = fault_for("Startup", 0);
  if (slow.op[0] && slow.mode == M_COMPLETE) usleep((unsigned)slow.delay_ms * 1000u);
  atomic_store(&started, 1);
  log_line(3, "Startup: double broker ready");
  return NULL;
}

EXPORT void MSALRUNTIME_Shutdown(void) {
  count_call("Shutdown");
  if (atomic_load(&outstanding) > 0) {
    /* The real library blocks here until the outstanding calls end (forever if one hangs). */
    atomic_fetch_add(&shutdown_while_outstanding, 1);
    for (int i = 0; i < 100 && atomic_load(&outstanding) > 0; i++) usleep(10000);
  }
  atomic_store(&started, 0);
}

/* ---------------------------------------------------------------- async operations */

enum optype { T_AUTH, T_SIGNOUT, T_READ, T_DISCOVER };

typedef struct op {
  int type;
  char name[40];
  any_routine cb;
  void *data;
  fault f;
  async_t *async;
  int user; /* the account the operation is about, -1 for none */
  int interactive;
  char *client_id, *correlation_id, *scopes, *pop_method;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  int fired;
} op;

static char *make_access_token(const op *o) {
  sbuf b = { 0 };
  sb_printf(&b, "double-at.%s.%d.", users[o->user].account_id, atomic_fetch_add(&token_serial, 1) + 1);
  sb_pad(&b, 6000); /* longer than the binding's first 4096-byte buffer: the InsufficientBuffer path runs */
  return b.p;
}

static void fill_auth_success(result_t *r, op *o) {
  const user *u = &users[o->user];
  r->user = o->user;
  r->access_token = make_access_token(o);
  sbuf claims = { 0 };
  sb_add(&claims, "{\"aud\":", 7);
  sb_json(&claims, o->client_id);
  sb_printf(&claims, ",\"iss\":\"https://login.microsoftonline.com/%s/v2.0\",\"tid\":\"%s\",\"oid\":\"%s\"",
            TENANT, TENANT, u->uid);
  sb_add(&claims, ",\"preferred_username\":", 22);
  sb_json(&claims, u->username);
  sb_add(&claims, ",\"name\":", 8);
  sb_json(&claims, u->display);
  sb_add(&claims, ",\"pad\":\"", 8);
  sb_pad(&claims, 400);
  sb_add(&claims, "\"}", 2);
  r->id_claims = claims.p;
  char *header = base64url("{\"alg\":\"none\",\"typ\":\"JWT\"}");
  char *payload = base64url(claims.p);
  sbuf jwt = { 0 };
  sb_printf(&jwt, "%s.", header);
  sb_add(&jwt, payload, strlen(payload));
  sb_add(&jwt, ".ZG91Ymxl", 9);
  free(header);
  free(payload);
  r->raw_id_token = jwt.p;
  r->scopes = atomic_load(&option_no_granted_scopes) ? NULL : dup_or_null(o->scopes);
  r->expires_on = (int64_t)time(NULL) + 3600;
  if (o->pop_method && *o->pop_method) {
    r->pop = 1;
    sbuf h = { 0 };
    sb_printf(&h, "pop %s", r->access_token);
    r->auth_header = h.p;
  }
}

static char *telemetry(const op *o, int failed, int32_t status) {
  sbuf b = { 0 };
  sb_printf(&b, "{\"api_name\":\"%s\",\"client_id\":", o->name);
  sb_json(&b, o->client_id);
  sb_add(&b, ",\"correlation_id\":", 18);
  sb_json(&b, o->correlation_id);
  sb_printf(&b, ",\"is_successful\":\"%s\",\"api_status_code\":\"%d\",\"msalruntime_version\":\"double\"}",
            failed ? "false" : "true", failed ? status : 0);
  return b.p;
}

/* Builds the result the operation completes with. */
static void *make_result(op *o) {
  static const int kinds[] = { K_AUTH_RESULT, K_SIGNOUT, K_READ, K_DISCOVER };
  result_t *r = new_handle(kinds[o->type], sizeof *r);
  snprintf(r->op, sizeof r->op, "%s", o->name);
  r->user = -1;
  int32_t status = -1;
  if (atomic_load(&o->async->canceled)) status = ST_APPLICATION_CANCELED;
  else if (o->f.mode == M_ERROR || (o->f.mode == M_EARLY && o->f.status >= 0)) status = o->f.status;
  if (status < 0) {
    switch (o->type) {
      case T_AUTH:
        if (o->user < 0 && strcmp(o->name, "SignInSilently") == 0) {
          for (int u = 0; u < USER_COUNT && o->user < 0; u++) if (is_signed_in(u)) o->user = u;
          if (o->user < 0) status = ST_INTERACTION_REQUIRED;
        } else if (o->user < 0) {
          o->user = 0;
        } else if (!o->interactive && !is_signed_in(o->user)) {
          status = ST_ACCOUNT_UNUSABLE;
        }
        if (status < 0) {
          set_signed_in(o->user, 1);
          fill_auth_success(r, o);
        }
        break;
      case T_SIGNOUT:
        set_signed_in(o->user, 0);
        break;
      case T_READ:
        if (o->user < 0) status = ST_ACCOUNT_NOT_FOUND;
        else r->user = o->user;
        break;
      case T_DISCOVER:
        for (int u = 0; u < USER_COUNT; u++) if (is_signed_in(u)) r->users[r->user_count++] = u;
        break;
    }
  }
  if (status >= 0) {
    r->failed = 1;
    r->status = status;
    r->user = o->type == T_READ ? -1 : o->user; /* named in the error context */
  }
  r->telemetry = telemetry(o, r->failed, status);
  return r;
}

static void free_op(op *o) {
  free(o->client_id);
  free(o->correlation_id);
  free(o->scopes);
  free(o->pop_method);
  pthread_mutex_destroy(&o->lock);
  pthread_cond_destroy(&o->cond);
  free(o);
}

static void *worker(void *arg) {
  op *o = arg;
  on_worker_thread = 1;
  int early = o->f.mode == M_EARLY; /* then start_op frees o once the callback has returned */
  if (o->f.mode == M_HANG) {
    /* A broker that never answers: CancelAsyncOperation does not help, only release_hung. */
    pthread_mutex_lock(&wait_lock);
    int generation = hung_generation;
    while (generation == hung_generation) pthread_cond_wait(&wait_cond, &wait_lock);
    pthread_mutex_unlock(&wait_lock);
  } else if (o->f.mode != M_EARLY && o->f.delay_ms > 0) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += o->f.delay_ms / 1000;
    deadline.tv_nsec += (long)(o->f.delay_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) { deadline.tv_sec++; deadline.tv_nsec -= 1000000000L; }
    pthread_mutex_lock(&wait_lock);
    while (!atomic_load(&o->async->canceled)) {
      if (pthread_cond_timedwait(&wait_cond, &wait_lock, &deadline) == ETIMEDOUT) break;
    }
    pthread_mutex_unlock(&wait_lock);
  }
  void *result = make_result(o);
  log_line(3, "%s: completing (%s) for %s", o->name, ((result_t *)result)->failed ? "failed" : "ok",
           o->user >= 0 ? pii(users[o->user].username) : "no account");
  atomic_store(&o->async->completed, 1);
  o->cb(result, o->data);
  atomic_fetch_add(&callbacks_delivered, 1);
  atomic_fetch_sub(&outstanding, 1);
  pthread_mutex_lock(&o->lock);
  o->fired = 1;
  pthread_cond_broadcast(&o->cond);
  pthread_mutex_unlock(&o->lock);
  /* Linger inside the library after the callback returned, as MSALRuntime's threads do. */
  usleep(2000);
  if (!early) free_op(o);
  atomic_fetch_sub(&threads_in_flight, 1);
  return NULL;
}

static void record_request(const op *o, const params_t *p, int64_t window, const char *hint) {
  sbuf b = { 0 };
  sb_printf(&b, "{\"op\":\"%s\",\"window\":%lld,\"correlationId\":", o->name, (long long)window);
  sb_json(&b, o->correlation_id);
  sb_add(&b, ",\"accountHint\":", 15);
  sb_json(&b, hint);
  sb_add(&b, ",\"user\":", 8);
  sb_json(&b, o->user >= 0 ? users[o->user].username : NULL);
  if (p) {
    sb_add(&b, ",\"clientId\":", 12);
    sb_json(&b, p->client_id);
    sb_add(&b, ",\"authority\":", 13);
    sb_json(&b, p->authority);
    sb_add(&b, ",\"scopes\":", 10);
    sb_json(&b, p->scopes);
    sb_add(&b, ",\"redirectUri\":", 15);
    sb_json(&b, p->redirect_uri);
    sb_add(&b, ",\"claims\":", 10);
    sb_json(&b, p->claims);
    sb_add(&b, ",\"accessTokenToRenew\":", 22);
    sb_json(&b, p->renew);
    sb_add(&b, ",\"pop\":", 7);
    if (p->pop_method) {
      sb_add(&b, "{\"method\":", 10);
      sb_json(&b, p->pop_method);
      sb_add(&b, ",\"host\":", 8);
      sb_json(&b, p->pop_host);
      sb_add(&b, ",\"path\":", 8);
      sb_json(&b, p->pop_path);
      sb_add(&b, ",\"nonce\":", 9);
      sb_json(&b, p->pop_nonce);
      sb_add(&b, "}", 1);
    } else {
      sb_add(&b, "null", 4);
    }
    sb_add(&b, ",\"additional\":{", 15);
    if (p->additional) sb_add(&b, p->additional, strlen(p->additional));
    sb_add(&b, "}", 1);
  } else {
    sb_add(&b, ",\"clientId\":", 12);
    sb_json(&b, o->client_id);
  }
  sb_add(&b, "}", 1);
  pthread_mutex_lock(&request_lock);
  free(last_request);
  last_request = b.p;
  pthread_mutex_unlock(&request_lock);
}

/* Starts an operation: validates, applies faults, spawns the completing thread. */
static MSALRUNTIME_ERROR_HANDLE start_op_inner(int type, const char *name, int interactive, int64_t window,
                                         const params_t *p, const char *correlation_id, const char *hint,
                                         const void *account, int account_required, const char *client_id,
                                         const char *account_id, void *cb, void *data,
                                         MSALRUNTIME_ASYNC_HANDLE *async_out) {
  count_call(name);
  fault f = fault_for(name, 1);
  log_line(3, "%s: called (correlation id %s)", name, correlation_id ? correlation_id : "");
  if (!atomic_load(&started)) RET(make_error(ST_API_CONTRACT_VIOLATION, 0, 0x1e000001, "MSALRuntime is not started"));
  if (f.mode == M_SYNC_FAIL) RET(operation_error(f.status, name, -1));
  if (!cb) RET(invalid_handle("Invalid callback routine", 0x1e000002));
  if (!async_out) RET(invalid_handle("Invalid async handle pointer", 0x1e000003));
  if (interactive && window == 0) RET(invalid_handle("Invalid window handle", 0x203551df));
  if ((type == T_AUTH) && !use(p, K_PARAMS)) RET(invalid_handle("Invalid handle", 0x2039c1cb));
  int user_index = -1;
  if (account) {
    account_t *a = use(account, K_ACCOUNT);
    if (!a) RET(invalid_handle("Invalid account handle", 0x1f85664d));
    user_index = a->user;
  } else if (account_required) {
    RET(invalid_handle("Invalid account handle", 0x1f85664d));
  }
  if (account_id) {
    for (int u = 0; u < USER_COUNT; u++) {
      if (strcmp(users[u].account_id, account_id) == 0 && is_signed_in(u)) user_index = u;
    }
  }
  if (hint && *hint) {
    for (int u = 0; u < USER_COUNT; u++) if (strcmp(users[u].username, hint) == 0) user_index = u;
  }
  op *o = calloc(1, sizeof *o);
  o->type = type;
  snprintf(o->name, sizeof o->name, "%s", name);
  o->cb = (any_routine)cb;
  o->data = data;
  o->f = f;
  o->user = user_index;
  o->interactive = interactive;
  o->client_id = dup_or_null(p ? p->client_id : client_id);
  o->correlation_id = dup_or_null(correlation_id);
  o->scopes = dup_or_null(p ? p->scopes : NULL);
  o->pop_method = dup_or_null(p ? p->pop_method : NULL);
  pthread_mutex_init(&o->lock, NULL);
  pthread_cond_init(&o->cond, NULL);
  o->async = new_handle(K_ASYNC, sizeof *o->async);
  record_request(o, p, window, hint);
  async_t *async = o->async;
  int early = f.mode == M_EARLY;

  atomic_fetch_add(&outstanding, 1);
  atomic_fetch_add(&threads_in_flight, 1);
  pthread_t thread;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  int rc = pthread_create(&thread, &attr, worker, o);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    atomic_fetch_sub(&outstanding, 1);
    atomic_fetch_sub(&threads_in_flight, 1);
    release(async, K_ASYNC);
    free_op(o);
    RET(make_error(ST_UNEXPECTED, rc, 0x1e000004, "cannot start a thread"));
  }
  if (early) {
    /* Complete before returning: wait until the callback has returned (at most 3 s, so that a
     * caller that cannot take the callback now is not deadlocked for good). */
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 3;
    pthread_mutex_lock(&o->lock);
    while (!o->fired) {
      if (pthread_cond_timedwait(&o->cond, &o->lock, &deadline) == ETIMEDOUT) break;
    }
    int fired = o->fired;
    pthread_mutex_unlock(&o->lock);
    if (fired) {
      atomic_fetch_add(&early_completions, 1);
      free_op(o);
      usleep(5000); /* the handle is written late, as a library that sets it on return would */
    }
    /* Not fired in time: the worker still signals o later, so o is left allocated. */
  }
  *async_out = (MSALRUNTIME_ASYNC_HANDLE)async;
  return NULL;
}

static MSALRUNTIME_ERROR_HANDLE start_op(int type, const char *name, int interactive, int64_t window,
                                         const params_t *p, const char *correlation_id, const char *hint,
                                         const void *account, int account_required, const char *client_id,
                                         const char *account_id, void *cb, void *data,
                                         MSALRUNTIME_ASYNC_HANDLE *async_out) {
  atomic_fetch_add(&calls_in_progress, 1);
  MSALRUNTIME_ERROR_HANDLE e = start_op_inner(type, name, interactive, window, p, correlation_id, hint, account,
                                              account_required, client_id, account_id, cb, data, async_out);
  atomic_fetch_sub(&calls_in_progress, 1);
  return e;
}

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_ReadAccountByIdAsync(
    const os_char *accountId, const os_char *correlationId, MSALRUNTIME_READ_ACCOUNT_COMPLETION_ROUTINE callback,
    void *callbackData, MSALRUNTIME_ASYNC_HANDLE *asyncHandle) {
  return start_op(T_READ, "ReadAccountById", 0, 0, NULL, correlationId, NULL, NULL, 0, NULL,
                  accountId ? accountId : "", (void *)callback, callbackData, asyncHandle);
}

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_SignInAsync(
    WINDOW_HANDLE parentHwnd, MSALRUNTIME_AUTH_PARAMETERS_HANDLE authParameters, const os_char *correlationId,
    const os_char *accountHint, MSALRUNTIME_COMPLETION_ROUTINE callback, void *callbackData,
    MSALRUNTIME_ASYNC_HANDLE *asyncHandle) {
  return start_op(T_AUTH, "SignIn", 1, parentHwnd, (params_t *)authParameters, correlationId, accountHint,
                  NULL, 0, NULL, NULL, (void *)callback, callbackData, asyncHandle);
}

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_SignInSilentlyAsync(
    MSALRUNTIME_AUTH_PARAMETERS_HANDLE authParameters, const os_char *correlationId,
    MSALRUNTIME_COMPLETION_ROUTINE callback, void *callbackData, MSALRUNTIME_ASYNC_HANDLE *asyncHandle) {
  return start_op(T_AUTH, "SignInSilently", 0, 0, (params_t *)authParameters, correlationId, NULL, NULL, 0,
                  NULL, NULL, (void *)callback, callbackData, asyncHandle);
}

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_SignInInteractivelyAsync(
    WINDOW_HANDLE parentHwnd, MSALRUNTIME_AUTH_PARAMETERS_HANDLE authParameters, const os_char *correlationId,
    const os_char *accountHint, MSALRUNTIME_COMPLETION_ROUTINE callback, void *callbackData,
    MSALRUNTIME_ASYNC_HANDLE *asyncHandle) {
  return start_op(T_AUTH, "SignInInteractively", 1, parentHwnd, (params_t *)authParameters, correlationId,
                  accountHint, NULL, 0, NULL, NULL, (void *)callback, callbackData, asyncHandle);
}

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_AcquireTokenSilentlyAsync(
    MSALRUNTIME_AUTH_PARAMETERS_HANDLE authParameters, const os_char *correlationId,
    MSALRUNTIME_ACCOUNT_HANDLE account, MSALRUNTIME_COMPLETION_ROUTINE callback, void *callbackData,
    MSALRUNTIME_ASYNC_HANDLE *asyncHandle) {
  return start_op(T_AUTH, "AcquireTokenSilently", 0, 0, (params_t *)authParameters, correlationId, NULL,
                  account, 1, NULL, NULL, (void *)callback, callbackData, asyncHandle);
}

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_AcquireTokenInteractivelyAsync(
    WINDOW_HANDLE parentHwnd, MSALRUNTIME_AUTH_PARAMETERS_HANDLE authParameters, const os_char *correlationId,
    MSALRUNTIME_ACCOUNT_HANDLE account, MSALRUNTIME_COMPLETION_ROUTINE callback, void *callbackData,
    MSALRUNTIME_ASYNC_HANDLE *asyncHandle) {
  return start_op(T_AUTH, "AcquireTokenInteractively", 1, parentHwnd, (params_t *)authParameters,
                  correlationId, NULL, account, 0, NULL, NULL, (void *)callback, callbackData, asyncHandle);
}

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_SignOutSilentlyAsync(
    const os_char *clientId, const os_char *correlationId, MSALRUNTIME_ACCOUNT_HANDLE account,
    MSALRUNTIME_SIGNOUT_COMPLETION_ROUTINE callback, void *callbackData, MSALRUNTIME_ASYNC_HANDLE *asyncHandle) {
  return start_op(T_SIGNOUT, "SignOutSilently", 0, 0, NULL, correlationId, NULL, account, 1, clientId, NULL,
                  (void *)callback, callbackData, asyncHandle);
}

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_DiscoverAccountsAsync(
    const os_char *clientId, const os_char *correlationId, MSALRUNTIME_DISCOVER_ACCOUNTS_COMPLETION_ROUTINE callback,
    void *callbackData, MSALRUNTIME_ASYNC_HANDLE *asyncHandle) {
  return start_op(T_DISCOVER, "DiscoverAccounts", 0, 0, NULL, correlationId, NULL, NULL, 0, clientId, NULL,
                  (void *)callback, callbackData, asyncHandle);
}

/* ---------------------------------------------------------------- cancellation */

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_CancelAsyncOperation(MSALRUNTIME_ASYNC_HANDLE asyncHandle) {
  ENTER("CancelAsyncOperation");
  async_t *a = use(asyncHandle, K_ASYNC);
  if (!a) RET(invalid_handle("Invalid handle", 0x1e000005));
  if (!atomic_load(&a->completed)) {
    atomic_store(&a->canceled, 1);
    pthread_mutex_lock(&wait_lock);
    pthread_cond_broadcast(&wait_cond);
    pthread_mutex_unlock(&wait_lock);
  }
  return NULL;
}

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_ReleaseAsyncHandle(MSALRUNTIME_ASYNC_HANDLE asyncHandle) {
  count_call("ReleaseAsyncHandle");
  if (release(asyncHandle, K_ASYNC) <= 0) RET(invalid_handle("Invalid handle", 0x1e000006));
  return NULL;
}

/* ---------------------------------------------------------------- logging */

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_RegisterLogCallback(
    MSALRUNTIME_LOG_CALLBACK_ROUTINE callback, void *callbackData, MSALRUNTIME_LOG_CALLBACK_HANDLE *callbackHandle) {
  ENTER("RegisterLogCallback");
  if (!callback) RET(invalid_handle("Invalid callback routine", 0x20419540));
  if (!callbackHandle) RET(invalid_handle("Invalid handle pointer", 0x20419541));
  logcb_t *l = new_handle(K_LOG, sizeof *l);
  l->fn = callback;
  l->data = callbackData;
  atomic_store(&l->active, 1);
  pthread_mutex_lock(&log_registry_lock);
  int slot = -1;
  for (int i = 0; i < MAX_LOG_CALLBACKS && slot < 0; i++) if (!log_callbacks[i]) slot = i;
  if (slot >= 0) log_callbacks[slot] = l;
  pthread_mutex_unlock(&log_registry_lock);
  if (slot < 0) {
    release(l, K_LOG);
    RET(make_error(ST_UNEXPECTED, 0, 0x20419542, "too many log callbacks"));
  }
  *callbackHandle = (MSALRUNTIME_LOG_CALLBACK_HANDLE)l;
  return NULL;
}

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_ReleaseLogCallbackHandle(MSALRUNTIME_LOG_CALLBACK_HANDLE callbackHandle) {
  count_call("ReleaseLogCallbackHandle");
  logcb_t *l = use(callbackHandle, K_LOG);
  if (l) {
    atomic_store(&l->active, 0);
    pthread_mutex_lock(&log_registry_lock);
    for (int i = 0; i < MAX_LOG_CALLBACKS; i++) if (log_callbacks[i] == l) log_callbacks[i] = NULL;
    pthread_mutex_unlock(&log_registry_lock);
    /* Unregistered: after this returns the callback is not called again (wait out a call in
     * progress when the logger lock is in use). */
    if (atomic_load(&option_log_lock)) {
      pthread_mutex_lock(&logger_lock);
      pthread_mutex_unlock(&logger_lock);
    }
  }
  if (release(callbackHandle, K_LOG) <= 0) RET(invalid_handle("Invalid handle", 0x20419543));
  return NULL;
}

EXPORT void MSALRUNTIME_SetIsPiiEnabled(int32_t enabled) {
  count_call("SetIsPiiEnabled");
  atomic_store(&pii_enabled, enabled == 1);
}

/* ---------------------------------------------------------------- auth parameters */

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_CreateAuthParameters(
    const os_char *clientId, const os_char *authority, MSALRUNTIME_AUTH_PARAMETERS_HANDLE *authParameters) {
  ENTER("CreateAuthParameters");
  if (!authParameters) RET(invalid_handle("Invalid handle pointer", 0x2039c1c0));
  params_t *p = new_handle(K_PARAMS, sizeof *p);
  p->client_id = dup_or_null(clientId);
  p->authority = dup_or_null(authority);
  *authParameters = (MSALRUNTIME_AUTH_PARAMETERS_HANDLE)p;
  return NULL;
}

static void free_params(params_t *p) {
  char **fields[] = { &p->client_id, &p->authority, &p->scopes, &p->redirect_uri, &p->claims, &p->renew,
                      &p->pop_method, &p->pop_host, &p->pop_path, &p->pop_nonce, &p->additional };
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) { free(*fields[i]); *fields[i] = NULL; }
}

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_ReleaseAuthParameters(MSALRUNTIME_AUTH_PARAMETERS_HANDLE authParameters) {
  count_call("ReleaseAuthParameters");
  params_t *p = use(authParameters, K_PARAMS);
  if (release(authParameters, K_PARAMS) <= 0) RET(invalid_handle("Invalid handle", 0x2039c1c1));
  free_params(p);
  return NULL;
}

static MSALRUNTIME_ERROR_HANDLE set_field(const char *name, MSALRUNTIME_AUTH_PARAMETERS_HANDLE h, char **(*field)(params_t *),
                                          const char *value) {
  params_t *p = use(h, K_PARAMS);
  if (!p) RET(invalid_handle("Invalid handle", 0x2039c1cb));
  (void)name;
  char **slot = field(p);
  free(*slot);
  *slot = dup_or_null(value);
  return NULL;
}

static char **f_scopes(params_t *p) { return &p->scopes; }
static char **f_redirect(params_t *p) { return &p->redirect_uri; }
static char **f_claims(params_t *p) { return &p->claims; }
static char **f_renew(params_t *p) { return &p->renew; }

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_SetRequestedScopes(MSALRUNTIME_AUTH_PARAMETERS_HANDLE authParameters,
                                                               const os_char *scopes) {
  ENTER("SetRequestedScopes");
  return set_field("scopes", authParameters, f_scopes, scopes);
}

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_SetRedirectUri(MSALRUNTIME_AUTH_PARAMETERS_HANDLE authParameters,
                                                           const os_char *redirectUri) {
  ENTER("SetRedirectUri");
  return set_field("redirectUri", authParameters, f_redirect, redirectUri);
}

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_SetDecodedClaims(MSALRUNTIME_AUTH_PARAMETERS_HANDLE authParameters,
                                                             const os_char *claims) {
  ENTER("SetDecodedClaims");
  return set_field("claims", authParameters, f_claims, claims);
}

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_SetAccessTokenToRenew(MSALRUNTIME_AUTH_PARAMETERS_HANDLE authParameters,
                                                                  const os_char *accessTokenToRenew) {
  ENTER("SetAccessTokenToRenew");
  return set_field("accessTokenToRenew", authParameters, f_renew, accessTokenToRenew);
}

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_SetPopParams(MSALRUNTIME_AUTH_PARAMETERS_HANDLE authParameters,
                                                         const os_char *httpMethod, const os_char *uriHost,
                                                         const os_char *uriPath, const os_char *nonce) {
  ENTER("SetPopParams");
  params_t *p = use(authParameters, K_PARAMS);
  if (!p) RET(invalid_handle("Invalid handle", 0x2039c1cc));
  if (!httpMethod || !uriHost) RET(invalid_handle("Invalid PoP parameters", 0x2039c1cd));
  free(p->pop_method);
  free(p->pop_host);
  free(p->pop_path);
  free(p->pop_nonce);
  p->pop_method = strdup(httpMethod);
  p->pop_host = strdup(uriHost);
  p->pop_path = dup_or_null(uriPath);
  p->pop_nonce = dup_or_null(nonce);
  return NULL;
}

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_SetAdditionalParameter(MSALRUNTIME_AUTH_PARAMETERS_HANDLE authParameters,
                                                                   const os_char *key, const os_char *value) {
  ENTER("SetAdditionalParameter");
  params_t *p = use(authParameters, K_PARAMS);
  if (!p) RET(invalid_handle("Invalid handle", 0x2039c1ce));
  if (!key) RET(invalid_handle("Invalid key", 0x2039c1cf));
  if (strcmp(key, "prompt") == 0) {
    RET(make_error(ST_API_CONTRACT_VIOLATION, 0, 0x2039c1d0, "Disallowed additional query parameter"));
  }
  sbuf b = { 0 };
  if (p->additional && *p->additional) {
    sb_add(&b, p->additional, strlen(p->additional));
    sb_add(&b, ",", 1);
  }
  sb_json(&b, key);
  sb_add(&b, ":", 1);
  sb_json(&b, value);
  free(p->additional);
  p->additional = b.p;
  return NULL;
}

/* ---------------------------------------------------------------- results */

static void free_result(result_t *r) {
  free(r->access_token);
  free(r->id_claims);
  free(r->raw_id_token);
  free(r->scopes);
  free(r->auth_header);
  free(r->telemetry);
  r->access_token = r->id_claims = r->raw_id_token = r->scopes = r->auth_header = r->telemetry = NULL;
}

static MSALRUNTIME_ERROR_HANDLE release_result(const char *name, void *h, int kind) {
  count_call(name);
  result_t *r = use(h, kind);
  if (release(h, kind) <= 0) RET(invalid_handle("Invalid handle", 0x1e000010));
  free_result(r);
  return NULL;
}

static account_t *new_account(int u) {
  account_t *a = new_handle(K_ACCOUNT, sizeof *a);
  a->user = u;
  return a;
}

static MSALRUNTIME_ERROR_HANDLE result_error(void *h, int kind, MSALRUNTIME_ERROR_HANDLE *out) {
  result_t *r = use(h, kind);
  if (!r) RET(invalid_handle("Invalid handle", 0x1e000011));
  if (!out) RET(invalid_handle("Invalid error pointer", 0x1e000012));
  *out = r->failed ? (MSALRUNTIME_ERROR_HANDLE)operation_error(r->status, r->op, r->user) : NULL;
  return NULL;
}

static MSALRUNTIME_ERROR_HANDLE result_string(void *h, int kind, int which, os_char *buffer, int32_t *size) {
  result_t *r = use(h, kind);
  if (!r) RET(invalid_handle("Invalid handle", 0x1e000013));
  const char *values[] = { r->id_claims, r->raw_id_token, r->access_token, r->scopes, r->auth_header,
                           r->telemetry };
  RET(put_string(values[which], buffer, size));
}

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_ReleaseAuthResult(MSALRUNTIME_AUTH_RESULT_HANDLE authResult) {
  return release_result("ReleaseAuthResult", authResult, K_AUTH_RESULT);
}

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_GetAccount(MSALRUNTIME_AUTH_RESULT_HANDLE authResult,
                                                       MSALRUNTIME_ACCOUNT_HANDLE *account) {
  ENTER("GetAccount");
  result_t *r = use(authResult, K_AUTH_RESULT);
  if (!r) RET(invalid_handle("Invalid handle", 0x1e000014));
  if (!account) RET(invalid_handle("Invalid account pointer", 0x1e000015));
  *account = r->failed || r->user < 0 ? NULL : (MSALRUNTIME_ACCOUNT_HANDLE)new_account(r->user);
  return NULL;
}

#define AUTH_STRING(fn, which) \
  EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_##fn(MSALRUNTIME_AUTH_RESULT_HANDLE authResult, os_char *buffer, \
                                                   int32_t *bufferSize) { \
    ENTER(#fn); \
    return result_string(authResult, K_AUTH_RESULT, which, buffer, bufferSize); \
  }
AUTH_STRING(GetIdToken, 0)
AUTH_STRING(GetRawIdToken, 1)
AUTH_STRING(GetAccessToken, 2)
AUTH_STRING(GetGrantedScopes, 3)
AUTH_STRING(GetAuthorizationHeader, 4)
AUTH_STRING(GetTelemetryData, 5)

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_IsPopAuthorization(MSALRUNTIME_AUTH_RESULT_HANDLE authResult,
                                                               bool_t *isPopAuthorization) {
  ENTER("IsPopAuthorization");
  result_t *r = use(authResult, K_AUTH_RESULT);
  if (!r) RET(invalid_handle("Invalid handle", 0x1e000016));
  *isPopAuthorization = r->pop ? 1 : 0;
  return NULL;
}

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_GetExpiresOn(MSALRUNTIME_AUTH_RESULT_HANDLE authResult,
                                                         int64_t *accessTokenExpirationTime) {
  ENTER("GetExpiresOn");
  result_t *r = use(authResult, K_AUTH_RESULT);
  if (!r) RET(invalid_handle("Invalid handle", 0x1e000017));
  *accessTokenExpirationTime = r->failed ? 0 : r->expires_on;
  return NULL;
}

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_GetError(MSALRUNTIME_AUTH_RESULT_HANDLE authResult,
                                                     MSALRUNTIME_ERROR_HANDLE *responseError) {
  ENTER("GetError");
  return result_error(authResult, K_AUTH_RESULT, responseError);
}

/* ---------------------------------------------------------------- accounts */

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_ReleaseAccount(MSALRUNTIME_ACCOUNT_HANDLE account) {
  count_call("ReleaseAccount");
  if (release(account, K_ACCOUNT) <= 0) RET(invalid_handle("Invalid handle", 0x1e000020));
  return NULL;
}

static char *client_info(const user *u) {
  sbuf b = { 0 };
  sb_printf(&b, "{\"uid\":\"%s\",\"utid\":\"%s\"}", u->uid, TENANT);
  char *out = base64url(b.p);
  free(b.p);
  return out;
}

static MSALRUNTIME_ERROR_HANDLE account_string(const char *name, MSALRUNTIME_ACCOUNT_HANDLE account, os_char *buffer,
                                               int32_t *size) {
  account_t *a = use(account, K_ACCOUNT);
  if (!a) RET(invalid_handle("Invalid handle", 0x1e000021));
  const user *u = &users[a->user];
  char tmp[256];
  char *owned = NULL;
  const char *value = NULL;
  if (!strcmp(name, "GetAccountId")) value = u->account_id;
  else if (!strcmp(name, "GetHomeAccountId")) { snprintf(tmp, sizeof tmp, "%s.%s", u->uid, TENANT); value = tmp; }
  else if (!strcmp(name, "GetEnvironment")) value = "login.microsoftonline.com";
  else if (!strcmp(name, "GetRealm")) value = TENANT;
  else if (!strcmp(name, "GetLocalAccountId")) value = u->uid;
  else if (!strcmp(name, "GetUserName")) value = u->username;
  else if (!strcmp(name, "GetGivenName")) value = u->given;
  else if (!strcmp(name, "GetFamilyName")) value = u->family;
  else if (!strcmp(name, "GetMiddleName")) value = NULL; /* absent: success with size 0 */
  else if (!strcmp(name, "GetDisplayName")) value = u->display;
  else if (!strcmp(name, "GetClientInfo")) value = owned = client_info(u);
  else if (!strcmp(name, "GetAdditionalFieldsJson")) value = "{\"double\":\"true\"}";
  else if (!strcmp(name, "GetHomeEnvironment")) value = "login.windows.net";
  err_t *e = put_string(value, buffer, size);
  free(owned);
  RET(e);
}

#define ACCOUNT_STRING(fn) \
  EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_##fn(MSALRUNTIME_ACCOUNT_HANDLE account, os_char *buffer, \
                                                   int32_t *bufferSize) { \
    ENTER(#fn); \
    return account_string(#fn, account, buffer, bufferSize); \
  }
ACCOUNT_STRING(GetAccountId)
ACCOUNT_STRING(GetHomeAccountId)
ACCOUNT_STRING(GetEnvironment)
ACCOUNT_STRING(GetRealm)
ACCOUNT_STRING(GetLocalAccountId)
ACCOUNT_STRING(GetUserName)
ACCOUNT_STRING(GetGivenName)
ACCOUNT_STRING(GetFamilyName)
ACCOUNT_STRING(GetMiddleName)
ACCOUNT_STRING(GetDisplayName)
ACCOUNT_STRING(GetClientInfo)
ACCOUNT_STRING(GetAdditionalFieldsJson)
ACCOUNT_STRING(GetHomeEnvironment)

/* ---------------------------------------------------------------- sign-out, read, discover results */

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_ReleaseSignOutResult(MSALRUNTIME_SIGNOUT_RESULT_HANDLE signoutResult) {
  return release_result("ReleaseSignOutResult", signoutResult, K_SIGNOUT);
}

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_GetSignOutError(MSALRUNTIME_SIGNOUT_RESULT_HANDLE signoutResult,
                                                            MSALRUNTIME_ERROR_HANDLE *responseError) {
  ENTER("GetSignOutError");
  return result_error(signoutResult, K_SIGNOUT, responseError);
}

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_GetSignOutTelemetryData(MSALRUNTIME_SIGNOUT_RESULT_HANDLE signoutResult,
                                                                    os_char *telemetryData, int32_t *bufferSize) {
  ENTER("GetSignOutTelemetryData");
  return result_string(signoutResult, K_SIGNOUT, 5, telemetryData, bufferSize);
}

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_ReleaseReadAccountResult(MSALRUNTIME_READ_ACCOUNT_RESULT_HANDLE readAccountResult) {
  return release_result("ReleaseReadAccountResult", readAccountResult, K_READ);
}

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_GetReadAccount(MSALRUNTIME_READ_ACCOUNT_RESULT_HANDLE readAccountResult,
                                                           MSALRUNTIME_ACCOUNT_HANDLE *account) {
  ENTER("GetReadAccount");
  result_t *r = use(readAccountResult, K_READ);
  if (!r) RET(invalid_handle("Invalid handle", 0x1e000030));
  if (!account) RET(invalid_handle("Invalid account pointer", 0x1e000031));
  if (r->failed || r->user < 0) {
    /* Unlike GetAccount, a failed read is an error here (status 16), and *account is NULL. */
    *account = NULL;
    RET(make_error(ST_ACCOUNT_NOT_FOUND, 0, 0x1f4cb85a, "Account with id '%s' not found", pii("unknown")));
  }
  *account = (MSALRUNTIME_ACCOUNT_HANDLE)new_account(r->user);
  return NULL;
}

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_GetReadAccountError(MSALRUNTIME_READ_ACCOUNT_RESULT_HANDLE readAccountResult,
                                                                MSALRUNTIME_ERROR_HANDLE *responseError) {
  ENTER("GetReadAccountError");
  return result_error(readAccountResult, K_READ, responseError);
}

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_GetReadAccountTelemetryData(
    MSALRUNTIME_READ_ACCOUNT_RESULT_HANDLE readAccountResult, os_char *telemetryData, int32_t *bufferSize) {
  ENTER("GetReadAccountTelemetryData");
  return result_string(readAccountResult, K_READ, 5, telemetryData, bufferSize);
}

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_ReleaseDiscoverAccountsResult(
    MSALRUNTIME_DISCOVER_ACCOUNTS_RESULT_HANDLE discoverAccountsResult) {
  return release_result("ReleaseDiscoverAccountsResult", discoverAccountsResult, K_DISCOVER);
}

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_GetDiscoverAccountsAt(
    MSALRUNTIME_DISCOVER_ACCOUNTS_RESULT_HANDLE discoverAccountsResult, int32_t index, MSALRUNTIME_ACCOUNT_HANDLE *account) {
  ENTER("GetDiscoverAccountsAt");
  result_t *r = use(discoverAccountsResult, K_DISCOVER);
  if (!r) RET(invalid_handle("Invalid handle", 0x1e000040));
  if (!account) RET(invalid_handle("Invalid account pointer", 0x1e000041));
  /* No count function: NULL past the end (and for negative indices). */
  *account = index >= 0 && index < r->user_count ? (MSALRUNTIME_ACCOUNT_HANDLE)new_account(r->users[index]) : NULL;
  return NULL;
}

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_GetDiscoverAccountsError(
    MSALRUNTIME_DISCOVER_ACCOUNTS_RESULT_HANDLE discoverAccountsResult, MSALRUNTIME_ERROR_HANDLE *responseError) {
  ENTER("GetDiscoverAccountsError");
  return result_error(discoverAccountsResult, K_DISCOVER, responseError);
}

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_GetDiscoverAccountsTelemetryData(
    MSALRUNTIME_DISCOVER_ACCOUNTS_RESULT_HANDLE discoverAccountsResult, os_char *telemetryData, int32_t *bufferSize) {
  ENTER("GetDiscoverAccountsTelemetryData");
  return result_string(discoverAccountsResult, K_DISCOVER, 5, telemetryData, bufferSize);
}

/* ---------------------------------------------------------------- errors */

EXPORT bool_t MSALRUNTIME_ReleaseError(MSALRUNTIME_ERROR_HANDLE error) {
  count_call("ReleaseError");
  if (!error) return 0;
  err_t *e = use(error, K_ERROR);
  if (release(error, K_ERROR) <= 0) return 1; /* the real one says 1 for any non-NULL handle */
  free(e->context);
  e->context = NULL;
  return 1;
}

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_GetStatus(MSALRUNTIME_ERROR_HANDLE error,
                                                      MSALRUNTIME_RESPONSE_STATUS *responseStatus) {
  count_call("GetStatus");
  err_t *e = use(error, K_ERROR);
  if (!e) RET(invalid_handle("Invalid handle", 0x1e000050));
  *(int32_t *)responseStatus = e->status;
  return NULL;
}

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_GetErrorCode(MSALRUNTIME_ERROR_HANDLE error, int64_t *responseErrorCode) {
  count_call("GetErrorCode");
  err_t *e = use(error, K_ERROR);
  if (!e) RET(invalid_handle("Invalid handle", 0x1e000051));
  *responseErrorCode = e->code;
  return NULL;
}

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_GetTag(MSALRUNTIME_ERROR_HANDLE error, int32_t *responseErrorTag) {
  count_call("GetTag");
  err_t *e = use(error, K_ERROR);
  if (!e) RET(invalid_handle("Invalid handle", 0x1e000052));
  *responseErrorTag = e->tag;
  return NULL;
}

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_GetContext(MSALRUNTIME_ERROR_HANDLE error, os_char *context,
                                                       int32_t *bufferSize) {
  count_call("GetContext");
  err_t *e = use(error, K_ERROR);
  if (!e) RET(invalid_handle("Invalid handle", 0x1e000053));
  RET(put_string(e->context, context, bufferSize));
}

/* ---------------------------------------------------------------- SSO policy (inferred) */

EXPORT MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_GetSsoPolicy(MSALRUNTIME_SSO_POLICY_TYPE *ssoPolicy) {
  ENTER("GetSsoPolicy");
  if (!ssoPolicy) RET(make_error(ST_API_CONTRACT_VIOLATION, 0, 0x1e3e1716, "ssoPolicy is null"));
  *(int32_t *)ssoPolicy = 2; /* AlwaysAllowed, as the Linux build always reports */
  return NULL;
}

/* ================================================================ control functions (double_*) */

/* Live handles of a kind (0 error, 1 auth parameters, 2 auth result, 3 account, 4 async,
 * 5 sign-out result, 6 read-account result, 7 discover result, 8 log callback); -1: all. */
EXPORT int32_t double_live_handles(int32_t kind) {
  if (kind >= 0 && kind < K_COUNT) return atomic_load(&live[kind]);
  int32_t total = 0;
  for (int k = 0; k < K_COUNT; k++) total += atomic_load(&live[k]);
  return total;
}

/* Releases of a NULL-free pointer that was already released, unknown, or of another kind. */
EXPORT int32_t double_bad_releases(void) { return atomic_load(&bad_releases); }

/* Uses (getters, setters, as an argument) of a released, unknown or wrong-kind handle. */
EXPORT int32_t double_bad_uses(void) { return atomic_load(&bad_uses); }

/* Sets the fault of operation `op` (short name: "SignInSilently", "AcquireTokenSilently",
 * "DiscoverAccounts", … or "*" for every async operation; any other function's short name,
 * e.g. "CreateAuthParameters" or "GetAccessToken", for mode 3). Modes: 0 complete normally
 * after delay_ms, 1 complete with error `status`, 2 never complete (until
 * double_release_hung), 3 fail synchronously with `status`, 4 complete before the *Async
 * call returns (with error `status` when status >= 0). */
EXPORT void double_set_fault(const char *op, int32_t status, int32_t delay_ms, int32_t mode) {
  if (!op) return;
  pthread_mutex_lock(&faults_lock);
  int i = 0;
  while (i < fault_count && strcmp(faults[i].op, op) != 0) i++;
  if (i == fault_count && fault_count < MAX_FAULTS) fault_count++;
  if (i < MAX_FAULTS) {
    snprintf(faults[i].op, sizeof faults[i].op, "%s", op);
    faults[i].status = status;
    faults[i].delay_ms = delay_ms;
    faults[i].mode = mode;
  }
  pthread_mutex_unlock(&faults_lock);
}

/* Lets every hung operation complete (normally, or canceled if it was canceled). */
EXPORT void double_release_hung(void) {
  pthread_mutex_lock(&wait_lock);
  hung_generation++;
  pthread_cond_broadcast(&wait_cond);
  pthread_mutex_unlock(&wait_lock);
}

/* Options: "async_delay_ms" (default 5), "log_lock" (0/1: hold a lock across log callbacks,
 * as the real logger does), "signed_in_mask" (bit per user: alice, bob, chloé; default 7),
 * "error_code" (the HRESULT failed operations report, as int32 bits; 0: their own),
 * "no_granted_scopes" (0/1: results grant no scopes), "no_error_context" (0/1: failed
 * operations report an empty context). */
EXPORT void double_set_option(const char *name, int32_t value) {
  if (!name) return;
  if (!strcmp(name, "async_delay_ms")) atomic_store(&option_delay_ms, value);
  else if (!strcmp(name, "log_lock")) atomic_store(&option_log_lock, value);
  else if (!strcmp(name, "signed_in_mask")) atomic_store(&signed_in_mask, value);
  else if (!strcmp(name, "error_code")) atomic_store(&option_error_code, value);
  else if (!strcmp(name, "no_granted_scopes")) atomic_store(&option_no_granted_scopes, value);
  else if (!strcmp(name, "no_error_context")) atomic_store(&option_no_error_context, value);
}

/* Calls made to a function, by short name ("Shutdown", "SignInSilently", "ReleaseError"…). */
EXPORT int32_t double_calls(const char *name) {
  if (!name) return 0;
  if (!strncmp(name, "MSALRUNTIME_", 12)) name += 12;
  char shortName[64];
  snprintf(shortName, sizeof shortName, "%s", name);
  size_t n = strlen(shortName);
  if (n > 5 && !strcmp(shortName + n - 5, "Async") && strcmp(shortName, "ReleaseAsync") != 0) shortName[n - 5] = 0;
  int32_t count = 0;
  pthread_mutex_lock(&calls_lock);
  for (int i = 0; i < call_name_count; i++) if (!strcmp(call_names[i], shortName)) count = call_counts[i];
  pthread_mutex_unlock(&calls_lock);
  return count;
}

/* Operations started whose completion callback has not returned yet (hung ones included). */
EXPORT int32_t double_outstanding(void) { return atomic_load(&outstanding); }

/* Threads still inside the library: completing workers and *Async calls not yet returned. */
EXPORT int32_t double_threads_in_flight(void) {
  return atomic_load(&threads_in_flight) + atomic_load(&calls_in_progress);
}

/* Completion callbacks that returned. */
EXPORT int32_t double_callbacks_delivered(void) { return atomic_load(&callbacks_delivered); }

/* Completions delivered before their *Async call returned (mode 4). */
EXPORT int32_t double_early_completions(void) { return atomic_load(&early_completions); }

/* Shutdown calls made while an operation was outstanding (the real one then blocks). */
EXPORT int32_t double_shutdown_while_outstanding(void) { return atomic_load(&shutdown_while_outstanding); }

/* 1 between Startup and Shutdown. */
EXPORT int32_t double_started(void) { return atomic_load(&started); }

/* The PII switch as the library sees it. */
EXPORT int32_t double_pii_enabled(void) { return atomic_load(&pii_enabled); }

/* Log lines delivered: 0 on calling threads, 1 on the library's worker threads, -1 all. */
EXPORT int32_t double_log_lines(int32_t where) {
  if (where == 0) return atomic_load(&log_lines_caller);
  if (where == 1) return atomic_load(&log_lines_worker);
  return atomic_load(&log_lines_caller) + atomic_load(&log_lines_worker);
}

/* The last request as JSON, with the sized-getter convention: returns the bytes needed
 * (with the NUL) and copies when `size` is enough. */
EXPORT int32_t double_last_request(char *buffer, int32_t size) {
  pthread_mutex_lock(&request_lock);
  const char *value = last_request ? last_request : "null";
  int32_t needed = (int32_t)strlen(value) + 1;
  if (buffer && size >= needed) memcpy(buffer, value, (size_t)needed);
  pthread_mutex_unlock(&request_lock);
  return needed;
}

/* Forgets faults, options, call counts and the other counters, and signs every user in
 * again. Live handles stay tracked (their counts are not reset). */
EXPORT void double_reset(void) {
  pthread_mutex_lock(&faults_lock);
  fault_count = 0;
  pthread_mutex_unlock(&faults_lock);
  pthread_mutex_lock(&calls_lock);
  for (int i = 0; i < call_name_count; i++) call_counts[i] = 0;
  pthread_mutex_unlock(&calls_lock);
  atomic_store(&option_delay_ms, 5);
  atomic_store(&option_log_lock, 0);
  atomic_store(&option_error_code, 0);
  atomic_store(&option_no_granted_scopes, 0);
  atomic_store(&option_no_error_context, 0);
  atomic_store(&signed_in_mask, 7);
  atomic_store(&bad_releases, 0);
  atomic_store(&bad_uses, 0);
  atomic_store(&callbacks_delivered, 0);
  atomic_store(&early_completions, 0);
  atomic_store(&shutdown_while_outstanding, 0);
  atomic_store(&log_lines_caller, 0);
  atomic_store(&log_lines_worker, 0);
}
