#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/type_id.hpp>

#include "mas/wire/value.hpp"

// Wire values travel between local actors only (never over BASP), so they
// need no CAF serialization.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(mas::wire::value)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(mas::wire::array)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(mas::wire::dict)

/// libmas's message vocabulary (type ids from caf::first_custom_type_id).
CAF_BEGIN_TYPE_ID_BLOCK(libmas, caf::first_custom_type_id)

/// `(request_atom, value content)` → `value`: one channel request.
CAF_ADD_ATOM(libmas, mas, request_atom, "request")

/// `(call_atom, string path, array args, dict kwargs)` → `value`: one RPC.
CAF_ADD_ATOM(libmas, mas, call_atom, "call")

/// `(ready_atom)` → `ok_atom`: answered once a connection can carry
/// messages (after the TLS handshake), or with its error.
CAF_ADD_ATOM(libmas, mas, ready_atom, "ready")

/// `(closed_atom)` → `ok_atom`: answered once a connection has ended
/// (aiomas: `await channel.close()` without closing it yourself).
CAF_ADD_ATOM(libmas, mas, closed_atom, "closed")

/// Internal: asks a connector for its connection.
CAF_ADD_ATOM(libmas, mas, connect_atom, "connect")

/// Internal: a transport checks for stalled work.
CAF_ADD_ATOM(libmas, mas, stall_atom, "stall")

/// Internal: a deferred RPC answer `(reply_atom, uint64 id, ...)`.
CAF_ADD_ATOM(libmas, mas, reply_atom, "reply")

/// Internal: a connection may serve its queued requests.
CAF_ADD_ATOM(libmas, mas, resume_atom, "resume")

/// `(sleep_atom, double t, uint64 timer)` → `double`: a clock answers once
/// its time has reached `t` (with the time then), or fails when the timer is
/// cancelled.
CAF_ADD_ATOM(libmas, mas, sleep_atom, "sleep")

/// Internal: a clock's time moved on (external clock) or a timer is due
/// (real-time clock).
CAF_ADD_ATOM(libmas, mas, advance_atom, "advance")

/// Internal: cancels a clock timer `(cancel_atom, uint64 timer)`.
CAF_ADD_ATOM(libmas, mas, cancel_atom, "cancel")

/// Internal: runs a call an agent received in the agent's own context.
CAF_ADD_ATOM(libmas, mas, invoke_atom, "invoke")

CAF_ADD_ATOM(libmas, mas, idle_atom, "idle")

CAF_ADD_ATOM(libmas, mas, due_atom, "due")

CAF_END_TYPE_ID_BLOCK(libmas)
