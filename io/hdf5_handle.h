// Owning wrappers of HDF5 identifiers (files, groups, datasets, dataspaces, types,
// property lists, attributes): each closes its identifier exactly once.
#pragma once

#include <hdf5.h>

#include <string>
#include <utility>

#include "io/check.h"

namespace spindle {

class Hdf5Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Hdf5Handle() = default;
  // Takes `id` (checked: a negative id is an error naming `call`) and closes it with `close`.
  Hdf5Handle(hid_t id, Closer close, const std::string& call) : id_(check_hdf5(id, call)), close_(close) {}
  Hdf5Handle(Hdf5Handle&& other) noexcept { *this = std::move(other); }
  Hdf5Handle& operator=(Hdf5Handle&& other) noexcept {
    std::swap(id_, other.id_);
    std::swap(close_, other.close_);
    return *this;
  }
  Hdf5Handle(const Hdf5Handle&) = delete;
  Hdf5Handle& operator=(const Hdf5Handle&) = delete;
  ~Hdf5Handle() { reset(); }

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  // Gives up ownership: the caller closes the returned id.
  hid_t release() { return std::exchange(id_, -1); }
  void reset() {
    if (id_ >= 0 && close_) close_(id_);
    id_ = -1;
  }

 private:
  hid_t id_ = -1;
  Closer close_ = nullptr;
};

}  // namespace spindle
