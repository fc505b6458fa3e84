# The addon: src/addon.c linked against ../../target/release/libspladerunner.so (built by `make build` at the
# top of the repository). Its NEEDED entry is the SONAME, libspladerunner.so.0.1, found through RUNPATH $ORIGIN:
# the `copy_libraries` target puts that library, and ONNX Runtime's libonnxruntime.so (which spladerunner opens
# from beside itself), next to spladerunner.node. So build/Release is self-contained and relocatable, and
# loading it needs no environment variable.
# Paths are relative, so that a checkout whose path holds spaces builds: gyp rejects spaces in an action's inputs,
# and passes flags unquoted. gyp rebases the include and input paths on this file's directory; the linker flag
# is not rebased and runs in build/, three levels below the repository.
{
  "variables": {
    "release_dir": "../../target/release",
    # Must equal the SONAME of libspladerunner.so (SONAME in the top-level Makefile).
    "soname": "libspladerunner.so.0.1",
  },
  "targets": [
    {
      "target_name": "spladerunner",
      "sources": ["src/addon.c"],
      "include_dirs": ["../../include"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-Wall", "-Wextra"],
      "cflags_c": ["-std=c11", "-Wpedantic"],
      "ldflags": ["-L../../../target/release", "-Wl,-rpath,'$$ORIGIN'"],
      "libraries": ["-lspladerunner"],
    },
    {
      "target_name": "copy_libraries",
      "type": "none",
      "dependencies": ["spladerunner"],
      "actions": [
        {
          "action_name": "copy_libraries",
          "inputs": ["<(release_dir)/libspladerunner.so", "<(release_dir)/libonnxruntime.so"],
          "outputs": ["<(PRODUCT_DIR)/<(soname)", "<(PRODUCT_DIR)/libonnxruntime.so"],
          "action": ["node", "scripts/copy-libraries.js", "<@(_inputs)", "<@(_outputs)"],
        },
      ],
    },
  ],
}
