#include "mas/aiomas/manager.hpp"

#include "mas/rpc/exception.hpp"

namespace mas::aiomas {

// -- agent_factories ----------------------------------------------------------

agent_factories& agent_factories::add(std::string name, agent_factory factory) {
  factories_[std::move(name)] = std::move(factory);
  return *this;
}

const agent_factory* agent_factories::find(const std::string& qualname) const {
  if (auto i = factories_.find(qualname); i != factories_.end())
    return &i->second;
  auto colon = qualname.rfind(':');
  if (colon != std::string::npos) {
    if (auto i = factories_.find(qualname.substr(colon + 1));
        i != factories_.end())
      return &i->second;
  }
  return nullptr;
}

std::vector<std::string> agent_factories::names() const {
  std::vector<std::string> result;
  for (auto& [name, factory] : factories_)
    result.push_back(name);
  return result;
}

// -- arguments ----------------------------------------------------------------

void check_arguments(const std::string& fun, const wire::array& args,
                     const wire::dict& kwargs,
                     const std::vector<std::string>& names) {
  // Python counts `self` (and aiomas's `container`) in these messages.
  auto n = names.size() + 2;
  if (args.size() > names.size())
    throw rpc::exception("TypeError", fun + "() takes " + std::to_string(n)
                                        + " positional arguments but "
                                        + std::to_string(args.size() + 2)
                                        + " were given");
  for (auto& [key, val] : kwargs) {
    if (!key.is_string())
      throw rpc::exception("TypeError", "keywords must be strings");
    bool known = false;
    for (std::size_t i = 0; i < names.size(); ++i)
      if (names[i] == key.as_string()) {
        known = true;
        if (i < args.size())
          throw rpc::exception("TypeError", fun
                                              + "() got multiple values for "
                                                "argument '"
                                              + names[i] + "'");
      }
    if (!known)
      throw rpc::exception("TypeError", fun
                                          + "() got an unexpected keyword "
                                            "argument '"
                                          + key.as_string() + "'");
  }
}

const wire::value* argument(const std::string&, const wire::array& args,
                            const wire::dict& kwargs, std::size_t index,
                            const std::string& name) {
  if (index < args.size())
    return &args[index];
  for (auto& [key, val] : kwargs)
    if (key.is_string() && key.as_string() == name)
      return &val;
  return nullptr;
}

// -- manager ------------------------------------------------------------------

manager::manager(caf::actor_config& cfg, agent_init init,
                 std::shared_ptr<const agent_factories> factories)
  : agent(cfg, std::move(init)), factories_(std::move(factories)) {
  expose_raw("spawn", [this](rpc::responder later, wire::array& args,
                             wire::dict& kwargs) {
    if (args.empty() || !args[0].is_string())
      throw rpc::exception("TypeError",
                           "spawn() missing 1 required positional argument: "
                           "'qualname'");
    auto qualname = args[0].as_string();
    auto factory = factories_ ? factories_->find(qualname) : nullptr;
    if (factory == nullptr) {
      std::string known;
      if (factories_)
        for (auto& n : factories_->names())
          known += (known.empty() ? "" : ", ") + n;
      throw rpc::exception("AttributeError",
                           "no agent type \"" + qualname
                             + "\" in this container (known: " + known + ")");
    }
    wire::array rest(args.begin() + 1, args.end());
    auto aid = (*factory)(container(), rest, kwargs);
    later.deliver(wire::value{
      wire::array{container().reference_of(aid), container().address_of(aid)}});
  });
  expose("set_time",
         [this](double t) {
           if (!clock().is_external())
             throw rpc::exception("AttributeError",
                                  "'AsyncioClock' object has no attribute "
                                  "'set_time'");
           clock().set_time(t);
         },
         {"time"});
  // The answer goes out before the container is asked to stop, so the
  // master sees it before the connection closes.
  expose("stop", [this](rpc::responder later) {
    later.deliver(wire::value{});
    container().request_stop();
  });
}

} // namespace mas::aiomas
