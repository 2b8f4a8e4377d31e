{
  "targets": [
    {
      "target_name": "dm_native",
      "sources": [
        "src/native/addon.cc",
        "src/native/dm-ioctl.cc",
        "src/native/dm-list.cc",
        "src/native/dm-device.cc",
        "src/native/block.cc",
        "src/native/loop.cc",
        "src/native/fence.cc",
        "src/native/watchdog.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "_GNU_SOURCE"],
      "cflags": ["-Wall", "-Wextra"],
      "cflags_cc": ["-Wall", "-Wextra", "-std=gnu++17"],
      "libraries": ["-lpthread"]
    }
  ]
}
