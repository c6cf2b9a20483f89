#pragma once

#include <cstdint>
#include <memory>

#include "mas/channel/request_handler.hpp"

namespace mas::rpc {

class service;

/// The RPC layer on a channel (aiomas `RpcClient` with its router): serves
/// incoming requests `[path, args, kwargs]` from the service tree `root`
/// and adds `(call_atom, path, args, kwargs)` to the connection. C++
/// exceptions a handler throws become the failures aiomas would send
/// (`rpc::exception` keeps its Python type; `std::invalid_argument` →
/// `ValueError`, `std::out_of_range` → `IndexError`, wire errors →
/// `TypeError`, others → `RuntimeError`).
std::shared_ptr<channel::request_handler>
make_dispatcher(std::shared_ptr<service> root, std::int64_t proxy_type_id);

} // namespace mas::rpc
