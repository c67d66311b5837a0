{
  "targets": [
    {
      "target_name": "realabel",
      "sources": ["<!@(node -p \"require('./native/sources.json').join(' ')\")"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_CPP_EXCEPTIONS_ALL", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-ffp-contract=off", "-Wall", "-Wextra"],
      "ldflags": [
        "-pthread",
        # nodelete: Node dlcloses an addon when a worker thread that loaded it exits; keep the code mapped, since other threads (and thread_local destructors) may still run it
        "-Wl,-z,nodelete"
      ],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "OTHER_CPLUSPLUSFLAGS": ["-std=c++17", "-O3", "-ffp-contract=off", "-Wall", "-Wextra"]
      }
    }
  ]
}
