#pragma once

/// The one include for the common case: the CAF runtime setup, errors,
/// logging, the typed connection handles, channels, RPC (services, proxies,
/// clients and servers), codecs and describe-once conversions.

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "mas/channel/channel.hpp"
#include "mas/config.hpp"
#include "mas/errc.hpp"
#include "mas/interfaces.hpp"
#include "mas/log.hpp"
#include "mas/rpc/client.hpp"
#include "mas/rpc/exception.hpp"
#include "mas/rpc/proxy.hpp"
#include "mas/rpc/service.hpp"
#include "mas/wire/codec.hpp"
#include "mas/wire/convert.hpp"
