/*
 * fftest: a C test library for entra-auth's FFI layer. It exercises what the MSALRuntime
 * binding needs (opaque handles, out-parameters, UTF-8 and UTF-16 strings with the sized
 * getter convention, error handles, completion callbacks from other threads) and counts
 * live objects so tests can prove every handle was released.
 *
 * Compiled by the tests (tests/support/native.ts) with the system `cc`; never committed as a
 * binary.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FT_EXPORT __attribute__((visibility("default")))

enum { FT_STATUS_INVALID_ARGUMENT = 6, FT_STATUS_INSUFFICIENT_BUFFER = 10 };

typedef struct ft_err { int32_t status; int32_t needed; } ft_err;
typedef struct ft_obj { uint16_t *name; int32_t length; int32_t value; } ft_obj;
typedef void (*ft_callback)(ft_obj *result, void *data);
typedef void (*ft_message_callback)(const char *message, int32_t index, void *data);

static atomic_int live_objects;
static atomic_int live_errors;
static atomic_int threads_in_flight;
static atomic_int callbacks_delivered;

static ft_err *make_error(int32_t status, int32_t needed) {
  ft_err *e = malloc(sizeof *e);
  e->status = status;
  e->needed = needed;
  atomic_fetch_add(&live_errors, 1);
  return e;
}

FT_EXPORT int32_t ft_add_i32(int32_t a, int32_t b) { return a + b; }
FT_EXPORT uint32_t ft_add_u32(uint32_t a, uint32_t b) { return a + b; }
FT_EXPORT int64_t ft_add_i64(int64_t a, int64_t b) { return a + b; }
FT_EXPORT uint64_t ft_add_u64(uint64_t a, uint64_t b) { return a + b; }
FT_EXPORT double ft_scale(double a, double b) { return a * b; }
FT_EXPORT bool ft_negate(bool v) { return !v; }
FT_EXPORT int32_t ft_noop(void) { return 0; }
FT_EXPORT uint64_t ft_thread_id(void) { return (uint64_t)pthread_self(); }
FT_EXPORT int32_t ft_live_objects(void) { return atomic_load(&live_objects); }
FT_EXPORT int32_t ft_live_errors(void) { return atomic_load(&live_errors); }
FT_EXPORT int32_t ft_threads_in_flight(void) { return atomic_load(&threads_in_flight); }
FT_EXPORT int32_t ft_callbacks_delivered(void) { return atomic_load(&callbacks_delivered); }
FT_EXPORT const char *ft_static_string(void) { return "static \xc3\xbcnicode \xe2\x9c\x93"; }
FT_EXPORT const char *ft_null_string(void) { return NULL; }

FT_EXPORT int32_t ft_err_status(const ft_err *e) { return e ? e->status : 0; }
FT_EXPORT void ft_err_release(ft_err *e) {
  if (!e) return;
  atomic_fetch_sub(&live_errors, 1);
  free(e);
}

/* UTF-8 -> UTF-16 (BMP + surrogate pairs), enough for tests. */
static int32_t utf8_to_utf16(const char *in, uint16_t *out) {
  const unsigned char *s = (const unsigned char *)in;
  int32_t n = 0;
  while (*s) {
    uint32_t cp;
    if (*s < 0x80) cp = *s++;
    else if ((*s & 0xe0) == 0xc0) { cp = (*s++ & 0x1f) << 6; cp |= *s++ & 0x3f; }
    else if ((*s & 0xf0) == 0xe0) {
      cp = (*s++ & 0x0f) << 12; cp |= (*s++ & 0x3f) << 6; cp |= *s++ & 0x3f;
    } else {
      cp = (*s++ & 0x07) << 18; cp |= (*s++ & 0x3f) << 12; cp |= (*s++ & 0x3f) << 6;
      cp |= *s++ & 0x3f;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      if (out) { out[n] = 0xd800 | (cp >> 10); out[n + 1] = 0xdc00 | (cp & 0x3ff); }
      n += 2;
    } else {
      if (out) out[n] = (uint16_t)cp;
      n += 1;
    }
  }
  return n;
}

static int32_t utf16_to_utf8(const uint16_t *in, int32_t len, char *out) {
  int32_t n = 0;
  for (int32_t i = 0; i < len; i++) {
    uint32_t cp = in[i];
    if (cp >= 0xd800 && cp < 0xdc00 && i + 1 < len) cp = 0x10000 + ((cp - 0xd800) << 10) + (in[++i] - 0xdc00);
    if (cp < 0x80) { if (out) out[n] = (char)cp; n += 1; }
    else if (cp < 0x800) { if (out) { out[n] = 0xc0 | (cp >> 6); out[n + 1] = 0x80 | (cp & 0x3f); } n += 2; }
    else if (cp < 0x10000) {
      if (out) { out[n] = 0xe0 | (cp >> 12); out[n + 1] = 0x80 | ((cp >> 6) & 0x3f); out[n + 2] = 0x80 | (cp & 0x3f); }
      n += 3;
    } else {
      if (out) {
        out[n] = 0xf0 | (cp >> 18); out[n + 1] = 0x80 | ((cp >> 12) & 0x3f);
        out[n + 2] = 0x80 | ((cp >> 6) & 0x3f); out[n + 3] = 0x80 | (cp & 0x3f);
      }
      n += 4;
    }
  }
  return n;
}

static ft_obj *new_obj(const uint16_t *name, int32_t length, int32_t value) {
  ft_obj *o = malloc(sizeof *o);
  o->name = malloc(sizeof(uint16_t) * (size_t)(length + 1));
  memcpy(o->name, name, sizeof(uint16_t) * (size_t)length);
  o->name[length] = 0;
  o->length = length;
  o->value = value;
  atomic_fetch_add(&live_objects, 1);
  return o;
}

static ft_obj *new_obj_utf8(const char *name, int32_t value) {
  int32_t len = utf8_to_utf16(name, NULL);
  uint16_t *tmp = malloc(sizeof(uint16_t) * (size_t)(len + 1));
  utf8_to_utf16(name, tmp);
  ft_obj *o = new_obj(tmp, len, value);
  free(tmp);
  return o;
}

FT_EXPORT ft_err *ft_obj_create(const char *name, int32_t value, ft_obj **out) {
  if (!name || !out) return make_error(FT_STATUS_INVALID_ARGUMENT, 0);
  *out = new_obj_utf8(name, value);
  return NULL;
}

FT_EXPORT ft_err *ft_obj_create_w(const uint16_t *name, int32_t value, ft_obj **out) {
  if (!name || !out) return make_error(FT_STATUS_INVALID_ARGUMENT, 0);
  int32_t len = 0;
  while (name[len]) len++;
  *out = new_obj(name, len, value);
  return NULL;
}

FT_EXPORT void ft_obj_release(ft_obj *o) {
  if (!o) return;
  atomic_fetch_sub(&live_objects, 1);
  free(o->name);
  free(o);
}

/* Sized getter, UTF-8: *size is the capacity in bytes on entry, the bytes needed (with the
 * terminating NUL) on exit; too small a buffer (or NULL) gives status 10. */
FT_EXPORT ft_err *ft_obj_get_name(const ft_obj *o, char *buf, int32_t *size) {
  if (!o || !size) return make_error(FT_STATUS_INVALID_ARGUMENT, 0);
  int32_t needed = utf16_to_utf8(o->name, o->length, NULL) + 1;
  if (!buf || *size < needed) {
    *size = needed;
    return make_error(FT_STATUS_INSUFFICIENT_BUFFER, needed);
  }
  utf16_to_utf8(o->name, o->length, buf);
  buf[needed - 1] = 0;
  *size = needed;
  return NULL;
}

/* Sized getter, UTF-16: sizes in code units. */
FT_EXPORT ft_err *ft_obj_get_name_w(const ft_obj *o, uint16_t *buf, int32_t *size) {
  if (!o || !size) return make_error(FT_STATUS_INVALID_ARGUMENT, 0);
  int32_t needed = o->length + 1;
  if (!buf || *size < needed) {
    *size = needed;
    return make_error(FT_STATUS_INSUFFICIENT_BUFFER, needed);
  }
  memcpy(buf, o->name, sizeof(uint16_t) * (size_t)needed);
  *size = needed;
  return NULL;
}

FT_EXPORT ft_err *ft_obj_get_values(const ft_obj *o, int32_t *out32, int64_t *out64, bool *positive) {
  if (!o) return make_error(FT_STATUS_INVALID_ARGUMENT, 0);
  if (out32) *out32 = o->value;
  if (out64) *out64 = (int64_t)o->value * 10000000000LL;
  if (positive) *positive = o->value > 0;
  return NULL;
}

/* ---- asynchronous calls, completed from a pthread ---- */

struct async_call {
  ft_callback cb;
  void *data;
  int32_t delay_ms;
  int32_t value;
  char *name;
};

static void *async_worker(void *arg) {
  struct async_call *call = arg;
  if (call->delay_ms > 0) usleep((useconds_t)call->delay_ms * 1000);
  ft_obj *o = new_obj_utf8(call->name, call->value);
  call->cb(o, call->data);
  atomic_fetch_add(&callbacks_delivered, 1);
  /* Linger inside the library after the callback returned, as MSALRuntime's worker threads
   * do: a runtime that unloads the library at exit now crashes reliably. */
  usleep(3000);
  free(call->name);
  free(call);
  atomic_fetch_sub(&threads_in_flight, 1);
  return NULL;
}

static ft_err *spawn(void *(*fn)(void *), void *arg) {
  pthread_t t;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  atomic_fetch_add(&threads_in_flight, 1);
  int rc = pthread_create(&t, &attr, fn, arg);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    atomic_fetch_sub(&threads_in_flight, 1);
    return make_error(FT_STATUS_INVALID_ARGUMENT, rc);
  }
  return NULL;
}

/* Creates an object named `name` on a new thread after `delay_ms`, then calls
 * cb(object, data) on that thread. The receiver owns the object. */
FT_EXPORT ft_err *ft_async_create(const char *name, int32_t value, int32_t delay_ms, ft_callback cb, void *data) {
  if (!name || !cb) return make_error(FT_STATUS_INVALID_ARGUMENT, 0);
  struct async_call *call = malloc(sizeof *call);
  call->cb = cb;
  call->data = data;
  call->delay_ms = delay_ms;
  call->value = value;
  call->name = strdup(name);
  ft_err *e = spawn(async_worker, call);
  if (e) { free(call->name); free(call); }
  return e;
}

/* A call that never completes until ft_release_hung() (a broker that does not answer). */
static pthread_mutex_t hung_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hung_cond = PTHREAD_COND_INITIALIZER;
static int hung_generation;

static void *hung_worker(void *arg) {
  struct async_call *call = arg;
  pthread_mutex_lock(&hung_lock);
  int generation = hung_generation;
  while (generation == hung_generation) pthread_cond_wait(&hung_cond, &hung_lock);
  pthread_mutex_unlock(&hung_lock);
  call->delay_ms = 0;
  return async_worker(call);
}

FT_EXPORT ft_err *ft_async_hang(const char *name, ft_callback cb, void *data) {
  if (!name || !cb) return make_error(FT_STATUS_INVALID_ARGUMENT, 0);
  struct async_call *call = malloc(sizeof *call);
  call->cb = cb;
  call->data = data;
  call->delay_ms = 0;
  call->value = -1;
  call->name = strdup(name);
  ft_err *e = spawn(hung_worker, call);
  if (e) { free(call->name); free(call); }
  return e;
}

FT_EXPORT void ft_release_hung(void) {
  pthread_mutex_lock(&hung_lock);
  hung_generation++;
  pthread_cond_broadcast(&hung_cond);
  pthread_mutex_unlock(&hung_lock);
}

/* Calls cb(message, i, data) `count` times from a new thread, with the message in a stack
 * buffer that is overwritten as soon as each call returns (as a logger's would be). */
struct emit_call { ft_message_callback cb; void *data; int32_t count; char *text; };

static void *emit_worker(void *arg) {
  struct emit_call *call = arg;
  for (int32_t i = 0; i < call->count; i++) {
    char buf[512];
    strncpy(buf, call->text, sizeof buf - 1);
    buf[sizeof buf - 1] = 0;
    call->cb(buf, i, call->data);
    memset(buf, 'X', strlen(buf));
  }
  free(call->text);
  free(call);
  atomic_fetch_sub(&threads_in_flight, 1);
  return NULL;
}

FT_EXPORT ft_err *ft_emit_messages(const char *text, int32_t count, ft_message_callback cb, void *data) {
  if (!text || !cb) return make_error(FT_STATUS_INVALID_ARGUMENT, 0);
  struct emit_call *call = malloc(sizeof *call);
  call->cb = cb;
  call->data = data;
  call->count = count;
  call->text = strdup(text);
  ft_err *e = spawn(emit_worker, call);
  if (e) { free(call->text); free(call); }
  return e;
}

/* Calls cb synchronously on the calling thread (the log callback does this too). */
FT_EXPORT void ft_emit_sync(const char *text, ft_message_callback cb, void *data) {
  cb(text, 0, data);
}

/* ---- UTF-16 messages (MSALRuntime's os_char* log lines on Windows) ---- */

typedef void (*ft_wmessage_callback)(const uint16_t *message, int32_t index, void *data);

struct wemit_call { ft_wmessage_callback cb; void *data; int32_t count; uint16_t *text; size_t len; };

/* Each message is a fresh heap copy, overwritten and freed as soon as the callback returns. */
static void *wemit_worker(void *arg) {
  struct wemit_call *call = arg;
  for (int32_t i = 0; i < call->count; i++) {
    uint16_t *buf = malloc((call->len + 1) * sizeof *buf);
    memcpy(buf, call->text, (call->len + 1) * sizeof *buf);
    call->cb(buf, i, call->data);
    for (size_t k = 0; k < call->len; k++) buf[k] = 'X';
    free(buf);
  }
  free(call->text);
  free(call);
  atomic_fetch_sub(&threads_in_flight, 1);
  return NULL;
}

FT_EXPORT ft_err *ft_emit_messages_w(const uint16_t *text, int32_t count, ft_wmessage_callback cb, void *data) {
  if (!text || !cb) return make_error(FT_STATUS_INVALID_ARGUMENT, 0);
  struct wemit_call *call = malloc(sizeof *call);
  size_t len = 0;
  while (text[len]) len++;
  call->cb = cb;
  call->data = data;
  call->count = count;
  call->len = len;
  call->text = malloc((len + 1) * sizeof *call->text);
  memcpy(call->text, text, (len + 1) * sizeof *call->text);
  ft_err *e = spawn(wemit_worker, call);
  if (e) { free(call->text); free(call); }
  return e;
}
