#pragma once

#include <caf/type_id.hpp>

#include "mas/atoms.hpp"

// The messages between mango containers, agents and connections (atoms of
// at most 10 characters, CAF 0.17).

/// `(deliver_atom, content, meta)`: a message for an agent.
CAF_ADD_ATOM(libmas, mas::mango, deliver_atom, "mdeliver")

/// `(frame_atom, payload)`: a frame for a connection to send.
CAF_ADD_ATOM(libmas, mas::mango, frame_atom, "mframe")

/// `(post_atom, host, port, payload)`: a frame for the connection pool.
CAF_ADD_ATOM(libmas, mas::mango, post_atom, "mpost")

/// `(lifecycle_atom, stage)`: start or ready (see agent).
CAF_ADD_ATOM(libmas, mas::mango, lifecycle_atom, "mlife")

/// `(task_atom, id)`: runs one of an agent's tasks.
CAF_ADD_ATOM(libmas, mas::mango, task_atom, "mtask")
