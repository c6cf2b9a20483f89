#include "mas/rpc/service.hpp"

#include "mas/errc.hpp"

namespace mas::rpc {

service::service(std::string type_name) : type_name_(std::move(type_name)) {
  // nop
}

service& service::insert(std::string name, entry e) {
  if (name.empty() || name.find('/') != std::string::npos)
    throw std::invalid_argument("invalid RPC name \"" + name + "\"");
  entries_[std::move(name)] = std::move(e);
  return *this;
}

service& service::expose_raw(std::string name, raw_handler fun) {
  return insert(std::move(name), entry{entry::function, std::move(fun), {}});
}

service& service::add(std::string name, std::shared_ptr<service> sub) {
  if (!sub)
    throw std::invalid_argument("sub-service \"" + name + "\" is null");
  if (!sub->parent_.expired() || sub.get() == this)
    throw std::invalid_argument("service \"" + name
                                + "\" already has a parent");
  sub->parent_ = weak_from_this();
  sub->name_ = name;
  return insert(std::move(name), entry{entry::sub_service, {}, std::move(sub)});
}

service& service::declare(std::string name) {
  return insert(std::move(name), entry{entry::hidden, {}, {}});
}

void service::attach(std::string name, std::shared_ptr<service> sub) {
  if (name.empty() || name.find('/') != std::string::npos)
    throw std::invalid_argument("invalid RPC name \"" + name + "\"");
  if (!sub)
    throw std::invalid_argument("sub-service \"" + name + "\" is null");
  if (entries_.count(name) > 0)
    throw std::invalid_argument("\"" + name + "\" is already taken");
  std::unique_lock guard{attached_mtx_};
  if (!sub->parent_.expired() || sub.get() == this)
    throw std::invalid_argument("service \"" + name
                                + "\" already has a parent");
  if (attached_.count(name) > 0)
    throw std::invalid_argument("\"" + name + "\" is already taken");
  sub->parent_ = weak_from_this();
  sub->name_ = name;
  attached_.emplace(std::move(name), std::move(sub));
}

void service::detach(std::string_view name) {
  std::unique_lock guard{attached_mtx_};
  auto i = attached_.find(name);
  if (i != attached_.end())
    attached_.erase(i);
}

std::string service::path() const {
  auto parent = parent_.lock();
  if (!parent)
    return {};
  auto prefix = parent->path();
  return prefix.empty() ? name_ : prefix + "/" + name_;
}

std::shared_ptr<const service> service::root() const {
  auto self = shared_from_this();
  while (auto parent = self->parent_.lock())
    self = parent;
  return self;
}

namespace {

std::string join(const std::vector<std::string_view>& parts, std::size_t n) {
  std::string result;
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0)
      result += '/';
    result += parts[i];
  }
  return result;
}

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> parts;
  for (;;) {
    auto pos = path.find('/');
    parts.push_back(path.substr(0, pos));
    if (pos == std::string_view::npos)
      return parts;
    path.remove_prefix(pos + 1);
  }
}

} // namespace

service::resolution service::resolve(std::string_view path) const {
  auto parts = split(path);
  const service* node = this;
  std::shared_ptr<const service> owner;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    auto name = parts[i];
    const entry* e = nullptr;
    if (node != nullptr) {
      auto found = node->entries_.find(name);
      if (found != node->entries_.end()) {
        e = &found->second;
      } else if (auto sub = node->find_attached(name)) {
        if (i + 1 == parts.size())
          return {nullptr, nullptr,
                  "TypeError: '" + sub->type_name_
                    + "' object is not callable"};
        owner = std::move(sub);
        node = owner.get();
        continue;
      }
    }
    if (e == nullptr)
      return {nullptr, nullptr,
              "LookupError: Name \"" + std::string{name} + "\" not found in \""
                + join(parts, i) + "\""};
    if (e->type == entry::hidden)
      return {nullptr, nullptr,
              "LookupError: \"" + node->type_name_ + "." + std::string{name}
                + "\" is not exposed"};
    bool last = i + 1 == parts.size();
    if (e->type == entry::function) {
      if (last)
        return {&e->fun, std::move(owner), {}};
      node = nullptr; // a function has no members: the next name fails
    } else {
      if (last)
        return {nullptr, nullptr,
                "TypeError: '" + e->sub->type_name_
                  + "' object is not callable"};
      node = e->sub.get();
    }
  }
  return {nullptr, nullptr, "LookupError: Name \"\" not found in \"\""};
}

std::shared_ptr<const service>
service::find_attached(std::string_view name) const {
  std::shared_lock guard{attached_mtx_};
  auto i = attached_.find(name);
  if (i == attached_.end())
    return nullptr;
  return i->second;
}

std::shared_ptr<const service>
service::find_service(std::string_view path) const {
  std::shared_ptr<const service> node = shared_from_this();
  if (path.empty())
    return node;
  for (auto name : split(path)) {
    auto found = node->entries_.find(name);
    if (found != node->entries_.end()
        && found->second.type == entry::sub_service) {
      node = found->second.sub;
    } else if (auto sub = node->find_attached(name)) {
      node = std::move(sub);
    } else {
      return nullptr;
    }
  }
  return node;
}

namespace detail {

namespace {

std::string quoted_list(const std::vector<std::string>& names) {
  std::string result;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0)
      result += i + 1 == names.size() ? (names.size() > 2 ? ", and " : " and ")
                                      : ", ";
    result += "'" + names[i] + "'";
  }
  return result;
}

} // namespace

std::vector<const wire::value*>
bind_arguments(std::string_view fun_name, std::size_t n,
               const std::vector<std::string>& names, const wire::array& args,
               const wire::dict& kwargs) {
  auto fn = std::string{fun_name} + "()";
  if (args.size() > n)
    throw exception("TypeError",
                    fn + " takes " + std::to_string(n) + " positional argument"
                      + (n == 1 ? "" : "s") + " but "
                      + std::to_string(args.size())
                      + (args.size() == 1 ? " was" : " were") + " given");
  std::vector<const wire::value*> result(n, nullptr);
  for (std::size_t i = 0; i < args.size(); ++i)
    result[i] = &args[i];
  for (auto& [key, val] : kwargs) {
    auto& kw = key.as_string();
    std::size_t index = n;
    for (std::size_t i = 0; i < names.size() && i < n; ++i)
      if (names[i] == kw)
        index = i;
    if (index == n)
      throw exception("TypeError",
                      fn + " got an unexpected keyword argument '" + kw + "'");
    if (result[index] != nullptr)
      throw exception("TypeError",
                      fn + " got multiple values for argument '" + kw + "'");
    result[index] = &val;
  }
  std::vector<std::string> missing;
  for (std::size_t i = 0; i < n; ++i)
    if (result[i] == nullptr)
      missing.push_back(i < names.size() ? names[i]
                                         : "arg" + std::to_string(i));
  if (!missing.empty())
    throw exception("TypeError", fn + " missing "
                                   + std::to_string(missing.size())
                                   + " required positional argument"
                                   + (missing.size() == 1 ? "" : "s") + ": "
                                   + quoted_list(missing));
  return result;
}

void fail_with(const responder& later, const caf::error& err) {
  later.fail(err);
}

void check_param_names(const std::string& fun_name, std::size_t arity,
                       const std::vector<std::string>& names) {
  if (names.size() > arity)
    throw std::invalid_argument(
      "\"" + fun_name + "\" takes " + std::to_string(arity) + " parameter"
      + (arity == 1 ? "" : "s") + " but " + std::to_string(names.size())
      + " names were given");
}

} // namespace detail

} // namespace mas::rpc
