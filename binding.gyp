{
  "targets": [
    {
      "target_name": "irlens_native",
      "sources": [
        "native/src/addon.cc",
        "native/src/thread_pool.cc",
        "native/src/storage.cc",
        "native/src/gemm.cc",
        "native/src/gemm_core.cc",
        "native/src/gemm_avx512.cc",
        "native/src/gemm_avx2.cc",
        "native/src/gemm_neon.cc",
        "native/src/gemm_accelerate.cc",
        "native/src/elementwise.cc",
        "native/src/norms.cc",
        "native/src/softmax.cc",
        "native/src/attention.cc",
        "native/src/embedding.cc",
        "native/src/cross_entropy.cc",
        "native/src/categorical.cc",
        "native/src/token_choice.cc",
        "native/src/optimizer.cc",
        "native/src/random.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native/src"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions", "-O2", "-O0"],
      "cflags_cc!": ["-fno-exceptions", "-O2", "-O0"],
      "cflags_cc": ["-O3", "-std=c++17", "-fno-math-errno", "-ffp-contract=off", "-fvisibility=hidden"],
      "ldflags": ["-pthread"],
      "conditions": [
        ["OS=='mac'", {
          "xcode_settings": {
            "GCC_OPTIMIZATION_LEVEL": "3",
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
            "MACOSX_DEPLOYMENT_TARGET": "10.15",
            "OTHER_CPLUSPLUSFLAGS": ["-fno-math-errno", "-ffp-contract=off"]
          }
        }],
        ["OS=='mac' and target_arch=='arm64'", {
          "defines": ["IRLENS_ACCELERATE"],
          "xcode_settings": { "OTHER_LDFLAGS": ["-framework", "Accelerate"] }
        }]
      ]
    }
  ]
}
