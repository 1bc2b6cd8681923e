// tsnet netns addon: the only things JavaScript cannot do itself — switch the calling thread's
// network namespace, make a named (bind-mounted) namespace, and make sockets inside one.
//
// setns(2) and unshare(2) with CLONE_NEWNET act on the calling thread only, so every function
// here saves the thread's current namespace first and always switches back before returning,
// even when the JavaScript callback throws. See src/netns/README.md.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <node_api.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#define NETNS_RUN_DIR "/run/netns"
#define SELF_NET "/proc/thread-self/ns/net"

// Throws an Error shaped like Node's system errors: message "CODE: description, syscall 'path'",
// plus code, errno (negative, as Node reports it), syscall and path.
static void throw_errno(napi_env env, int err, const char *syscall, const char *path) {
  const char *code = uv_err_name(-err);
  char msg[512];
  if (path != NULL && path[0] != '\0')
    snprintf(msg, sizeof msg, "%s: %s, %s '%s'", code, strerror(err), syscall, path);
  else
    snprintf(msg, sizeof msg, "%s: %s, %s", code, strerror(err), syscall);
  napi_value jcode, jmsg, error, v;
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &jcode);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &jmsg);
  napi_create_error(env, jcode, jmsg, &error);
  napi_create_int32(env, -err, &v);
  napi_set_named_property(env, error, "errno", v);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, error, "syscall", v);
  if (path != NULL && path[0] != '\0') {
    napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &v);
    napi_set_named_property(env, error, "path", v);
  }
  napi_throw(env, error);
}

static void throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
}

// Reads argument i as a string into buf; false (with a TypeError thrown) when it is not one.
static int get_string(napi_env env, napi_value v, char *buf, size_t size, const char *what) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, buf, size, &len) != napi_ok) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be a string", what);
    throw_type(env, msg);
    return 0;
  }
  if (len >= size - 1) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s is too long", what);
    throw_type(env, msg);
    return 0;
  }
  return 1;
}

// Switches the calling thread into the namespace at path; returns an fd of the namespace the
// thread was in (to switch back with leave_ns), or -1 with an error thrown.
static int enter_ns(napi_env env, const char *path) {
  int saved = open(SELF_NET, O_RDONLY | O_CLOEXEC);
  if (saved < 0) {
    throw_errno(env, errno, "open", SELF_NET);
    return -1;
  }
  int target = open(path, O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    int err = errno;
    close(saved);
    throw_errno(env, err, "open", path);
    return -1;
  }
  if (setns(target, CLONE_NEWNET) != 0) {
    int err = errno;
    close(target);
    close(saved);
    throw_errno(env, err, "setns", path);
    return -1;
  }
  close(target);
  return saved;
}

// Switching back cannot reasonably fail (we were in that namespace a moment ago); if it ever
// does, the thread would be stranded in the wrong namespace, which is worse than dying loudly.
static void leave_ns(int saved) {
  if (setns(saved, CLONE_NEWNET) != 0) {
    perror("tsnet netns: cannot return to the original network namespace");
    abort();
  }
  close(saved);
}

// Like `ip netns add`: /run/netns must be a shared mount point so that the bind mounts made
// under it propagate to mount namespaces created later (and to peers of this one).
static int ensure_run_dir(napi_env env) {
  if (mkdir(NETNS_RUN_DIR, 0755) != 0 && errno != EEXIST) {
    throw_errno(env, errno, "mkdir", NETNS_RUN_DIR);
    return 0;
  }
  if (mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL) == 0) return 1;
  if (errno != EINVAL) {
    throw_errno(env, errno, "mount", NETNS_RUN_DIR);
    return 0;
  }
  // EINVAL: not a mount point yet; bind it onto itself, then make it shared.
  if (mount(NETNS_RUN_DIR, NETNS_RUN_DIR, "none", MS_BIND | MS_REC, NULL) != 0) {
    throw_errno(env, errno, "mount", NETNS_RUN_DIR);
    return 0;
  }
  if (mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL) != 0) {
    throw_errno(env, errno, "mount", NETNS_RUN_DIR);
    return 0;
  }
  return 1;
}

// create(name) -> path
static napi_value Create(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char name[256], path[512];
  if (argc < 1 || !get_string(env, argv[0], name, sizeof name, "name")) return NULL;
  if (name[0] == '\0' || strchr(name, '/') != NULL || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
    throw_type(env, "name must be a plain file name");
    return NULL;
  }
  if (!ensure_run_dir(env)) return NULL;
  snprintf(path, sizeof path, "%s/%s", NETNS_RUN_DIR, name);
  int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (fd < 0) {
    throw_errno(env, errno, "open", path);
    return NULL;
  }
  close(fd);
  int saved = open(SELF_NET, O_RDONLY | O_CLOEXEC);
  if (saved < 0) {
    int err = errno;
    unlink(path);
    throw_errno(env, err, "open", SELF_NET);
    return NULL;
  }
  if (unshare(CLONE_NEWNET) != 0) {
    int err = errno;
    close(saved);
    unlink(path);
    throw_errno(env, err, "unshare", path);
    return NULL;
  }
  int err = 0;
  if (mount(SELF_NET, path, "none", MS_BIND, NULL) != 0) err = errno;
  leave_ns(saved);
  if (err != 0) {
    unlink(path);
    throw_errno(env, err, "mount", path);
    return NULL;
  }
  napi_value result;
  napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &result);
  return result;
}

// remove(path): lazy unmount (a namespace in use by processes or sockets stays alive until
// they are gone) and unlink. A missing path is success; a path that is not a mount is unlinked.
static napi_value Remove(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char path[512];
  if (argc < 1 || !get_string(env, argv[0], path, sizeof path, "path")) return NULL;
  if (umount2(path, MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
    throw_errno(env, errno, "umount2", path);
    return NULL;
  }
  if (unlink(path) != 0 && errno != ENOENT) {
    throw_errno(env, errno, "unlink", path);
    return NULL;
  }
  return NULL;
}

// run(path, fn) -> fn's result, with the calling thread inside path's namespace during fn.
static napi_value Run(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], global, result = NULL;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char path[512];
  napi_valuetype t;
  if (argc < 2 || !get_string(env, argv[0], path, sizeof path, "nsPath")) return NULL;
  if (napi_typeof(env, argv[1], &t) != napi_ok || t != napi_function) {
    throw_type(env, "fn must be a function");
    return NULL;
  }
  int saved = enter_ns(env, path);
  if (saved < 0) return NULL;
  napi_get_global(env, &global);
  // If fn throws, napi_call_function leaves the exception pending; we still switch back and
  // return NULL so it propagates to the caller.
  if (napi_call_function(env, global, argv[1], 0, NULL, &result) != napi_ok) result = NULL;
  leave_ns(saved);
  return result;
}

static int parse_addr(const char *address, int port, struct sockaddr_storage *ss, socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
  if (inet_pton(AF_INET, address, &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons((uint16_t)port);
    *len = sizeof *in4;
    return AF_INET;
  }
  if (inet_pton(AF_INET6, address, &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons((uint16_t)port);
    *len = sizeof *in6;
    return AF_INET6;
  }
  return -1;
}

// Creates, binds (and for TCP, listens on) a socket; must run with the thread in the target ns.
// Returns fd >= 0 or -1 with *err and *syscall set.
static int make_socket(int tcp, int do_listen, int family, struct sockaddr_storage *ss, socklen_t len,
                       int *err, const char **syscall) {
  int fd = socket(family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *err = errno;
    *syscall = "socket";
    return -1;
  }
  int one = 1;
  // SO_REUSEADDR lets a listener rebind a port with connections in TIME_WAIT. A reservation
  // (bound, not listening) goes without it, so that every other bind of the port fails.
  if (tcp && do_listen && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
    *err = errno;
    *syscall = "setsockopt";
  } else if (bind(fd, (struct sockaddr *)ss, len) != 0) {
    *err = errno;
    *syscall = "bind";
  } else if (tcp && do_listen && listen(fd, 511) != 0) {
    *err = errno;
    *syscall = "listen";
  } else if (getsockname(fd, (struct sockaddr *)ss, &len) != 0) {
    *err = errno;
    *syscall = "getsockname";
  } else {
    return fd;
  }
  close(fd);
  return -1;
}

// socket(path | null, "udp" | "tcp", address, port, listen = true) -> { fd, port }
static napi_value Socket(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char path[512] = "", type[8], address[64];
  int32_t port = 0;
  napi_valuetype t = napi_undefined;
  if (argc < 4) {
    throw_type(env, "socket(nsPath, type, address, port)");
    return NULL;
  }
  napi_typeof(env, argv[0], &t);
  if (t != napi_null && t != napi_undefined && !get_string(env, argv[0], path, sizeof path, "nsPath")) return NULL;
  if (!get_string(env, argv[1], type, sizeof type, "type")) return NULL;
  if (!get_string(env, argv[2], address, sizeof address, "address")) return NULL;
  if (napi_get_value_int32(env, argv[3], &port) != napi_ok || port < 0 || port > 65535) {
    throw_type(env, "port must be an integer from 0 to 65535");
    return NULL;
  }
  bool do_listen = true;
  if (argc >= 5) {
    napi_valuetype lt;
    napi_typeof(env, argv[4], &lt);
    if (lt == napi_boolean) napi_get_value_bool(env, argv[4], &do_listen);
  }
  int tcp = strcmp(type, "tcp") == 0;
  if (!tcp && strcmp(type, "udp") != 0) {
    throw_type(env, "type must be \"udp\" or \"tcp\"");
    return NULL;
  }
  struct sockaddr_storage ss;
  socklen_t len;
  int family = parse_addr(address, port, &ss, &len);
  if (family < 0) {
    throw_errno(env, EINVAL, "inet_pton", address);
    return NULL;
  }
  int saved = -1;
  if (path[0] != '\0' && (saved = enter_ns(env, path)) < 0) return NULL;
  int err = 0;
  const char *syscall = NULL;
  int fd = make_socket(tcp, do_listen, family, &ss, len, &err, &syscall);
  if (saved >= 0) leave_ns(saved);
  if (fd < 0) {
    char where[128];
    snprintf(where, sizeof where, "%s:%d", address, port);
    throw_errno(env, err, syscall, where);
    return NULL;
  }
  int bound = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                      : ((struct sockaddr_in6 *)&ss)->sin6_port);
  napi_value result, v;
  napi_create_object(env, &result);
  napi_create_int32(env, fd, &v);
  napi_set_named_property(env, result, "fd", v);
  napi_create_int32(env, bound, &v);
  napi_set_named_property(env, result, "port", v);
  return result;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"create", NULL, Create, NULL, NULL, NULL, napi_default, NULL},
      {"remove", NULL, Remove, NULL, NULL, NULL, napi_default, NULL},
      {"run", NULL, Run, NULL, NULL, NULL, napi_default, NULL},
      {"socket", NULL, Socket, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
