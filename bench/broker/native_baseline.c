/*
 * The memory baseline of bench/broker: MSALRuntime alone, from C, with no JavaScript at all.
 * Signs in silently once, then makes N cached AcquireTokenSilently calls, releasing every
 * result and async handle, and prints the process's RSS before and after as one JSON line.
 * If RSS grows here too, growth seen through the bindings belongs to the library.
 *
 * Usage: native_baseline <libmsalruntime.so> <calls>
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void *handle;
typedef void (*completion)(handle result, void *data);

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready = PTHREAD_COND_INITIALIZER;
static handle delivered;
static int has_result;

static void on_complete(handle result, void *data) {
  (void)data;
  pthread_mutex_lock(&lock);
  delivered = result;
  has_result = 1;
  pthread_cond_signal(&ready);
  pthread_mutex_unlock(&lock);
}

static handle next_result(void) {
  pthread_mutex_lock(&lock);
  while (!has_result) pthread_cond_wait(&ready, &lock);
  has_result = 0;
  handle result = delivered;
  pthread_mutex_unlock(&lock);
  return result;
}

static long rss_kb(void) {
  FILE *status = fopen("/proc/self/status", "r");
  char line[256];
  long kb = 0;
  while (status && fgets(line, sizeof line, status)) {
    if (strncmp(line, "VmRSS:", 6) == 0) kb = atol(line + 6);
  }
  if (status) fclose(status);
  return kb;
}

#define BIND(name, type) __typeof__(type) name = (type)dlsym(lib, "MSALRUNTIME_" #name)

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  void *lib = dlopen(argv[1], RTLD_NOW);
  if (!lib) {
    fprintf(stderr, "%s\n", dlerror());
    return 1;
  }
  BIND(Startup, handle (*)(void));
  BIND(CreateAuthParameters, handle (*)(const char *, const char *, handle *));
  BIND(SetRequestedScopes, handle (*)(handle, const char *));
  BIND(SetRedirectUri, handle (*)(handle, const char *));
  BIND(SignInSilentlyAsync, handle (*)(handle, const char *, completion, void *, handle *));
  BIND(AcquireTokenSilentlyAsync,
       handle (*)(handle, const char *, handle, completion, void *, handle *));
  BIND(GetAccount, handle (*)(handle, handle *));
  BIND(GetAccessToken, handle (*)(handle, char *, int32_t *));
  BIND(ReleaseAuthResult, handle (*)(handle));
  BIND(ReleaseAsyncHandle, handle (*)(handle));
  BIND(ReleaseError, int32_t (*)(handle));

  const char *correlation = "11111111-2222-3333-4444-555555555555";
  handle err = Startup();
  if (err) ReleaseError(err);
  handle params = NULL;
  CreateAuthParameters("04b07795-8ddb-461a-bbee-02f9e1bf7b46",
                       "https://login.microsoftonline.com/organizations", &params);
  SetRequestedScopes(params, "https://graph.microsoft.com/.default");
  SetRedirectUri(params, "https://login.microsoftonline.com/common/oauth2/nativeclient");
  handle async = NULL;
  SignInSilentlyAsync(params, correlation, on_complete, NULL, &async);
  handle result = next_result();
  handle account = NULL;
  GetAccount(result, &account);
  ReleaseAuthResult(result);
  ReleaseAsyncHandle(async);
  if (!account) {
    fprintf(stderr, "native_baseline: the default account could not sign in\n");
    return 1;
  }
  int calls = atoi(argv[2]);
  char token[8192];
  long start = 0;
  for (int i = 0; i < calls; i++) {
    if (i == 10) start = rss_kb(); /* after the first calls have warmed the caches up */
    async = NULL;
    AcquireTokenSilentlyAsync(params, correlation, account, on_complete, NULL, &async);
    result = next_result();
    int32_t size = sizeof token;
    err = GetAccessToken(result, token, &size);
    if (err) ReleaseError(err);
    ReleaseAuthResult(result);
    ReleaseAsyncHandle(async);
  }
  printf("{\"side\":\"native C baseline\",\"calls\":%d,\"rssStartMb\":%.1f,\"rssEndMb\":%.1f}\n",
         calls, start / 1024.0, rss_kb() / 1024.0);
  return 0;
}
