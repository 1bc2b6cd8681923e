{
  "targets": [
    {
      "target_name": "tsnet_netns",
      "sources": ["native/netns.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-std=gnu11"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
