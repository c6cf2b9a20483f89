"""Prints the JSON-codec type ids of an installed mango's source under the
running interpreter, without importing mango's dependencies.

    python3.X mango_ids_stub.py /path/to/site-packages/mango/messages

mango >= 2.1.4 derives the ids from the classes as the interpreter sees them
(function names, signature), so the same source gives different ids on
different Python minors. This loads the real messages/message.py and
messages/codecs.py with stub protobuf modules (they are not part of the hash
input) so any Python >= 3.10 can compute them. test_mango_codec.py runs it
under the venv Python too and checks it agrees with the real import.
"""

import importlib.util
import json
import os
import sys
import types


def stub_module(name, **attrs):
    mod = types.ModuleType(name)
    mod.__dict__.update(attrs)
    sys.modules[name] = mod
    return mod


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def main(msg_dir):
    pkg = stub_module("mango")
    pkg.__path__ = []
    sub = stub_module("mango.messages")
    sub.__path__ = [msg_dir]

    class _Proto:  # stands in for the generated protobuf classes
        pass

    stub_module("mango.messages.acl_message_pb2", ACLMessage=_Proto)
    stub_module("mango.messages.mango_message_pb2", MangoMessage=_Proto)
    stub_module("mango.messages.other_proto_msgs_pb2", GenericMsg=_Proto)
    load("mango.messages.message", os.path.join(msg_dir, "message.py"))
    codecs = load("mango.messages.codecs", os.path.join(msg_dir, "codecs.py"))
    ids = {cls.__name__: entry[0]
           for cls, entry in codecs.JSON()._serializers.items()}
    print(json.dumps({"python_minor": sys.version_info.minor, "ids": ids}))


if __name__ == "__main__":
    main(sys.argv[1])
