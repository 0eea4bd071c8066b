// SPDX-License-Identifier: Apache-2.0
// Precompiled header for every native source: libtorch's C++ API costs ~40 s per translation unit
// on two cores, so it is parsed once here. Add only stable, heavy third-party headers.
#pragma once

#include <torch/torch.h>
