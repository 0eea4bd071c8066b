# A shim with no source list: node-gyp (node-gyp-build's install fallback, prebuildify) runs the one
# real build, CMakeLists.txt through cmake-js, and finds its product in build/Release.
{
  "targets": [
    {
      "target_name": "fsllm_native",
      "type": "none",
      "actions": [
        {
          "action_name": "cmake_js_build",
          "inputs": ["<(module_root_dir)/CMakeLists.txt"],
          "outputs": ["<(PRODUCT_DIR)/fsllm_native.node"],
          "action": ["node", "<(module_root_dir)/scripts/build-native.mjs", "--copy-to", "<(PRODUCT_DIR)"]
        }
      ]
    }
  ]
}
