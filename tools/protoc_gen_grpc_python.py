"""protoc plugin adapter: runs grpcio-tools' built-in grpc_python generator for buf.

buf sends a CodeGeneratorRequest on stdin. We write its descriptors to a FileDescriptorSet,
run `grpc_tools.protoc --descriptor_set_in=... --grpc_python_out=...` on the files to generate,
and send the produced files back as a CodeGeneratorResponse on stdout.
"""

import os
import sys
import tempfile

from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2
from grpc_tools import protoc


def main() -> int:
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    # protoc's grpc_python generator handles proto3 `optional` (it only names services).
    response = plugin_pb2.CodeGeneratorResponse(
        supported_features=plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
    )
    with tempfile.TemporaryDirectory() as tmp:
        descriptor_set = os.path.join(tmp, "request.binpb")
        out_dir = os.path.join(tmp, "out")
        os.mkdir(out_dir)
        with open(descriptor_set, "wb") as f:
            f.write(descriptor_pb2.FileDescriptorSet(file=request.proto_file).SerializeToString())
        out = f"{request.parameter}:{out_dir}" if request.parameter else out_dir
        code = protoc.main(
            ["protoc", f"--descriptor_set_in={descriptor_set}", f"--grpc_python_out={out}"]
            + list(request.file_to_generate)
        )
        if code != 0:
            response.error = f"grpc_tools.protoc exited with {code}"
        else:
            for root, _, files in os.walk(out_dir):
                for name in sorted(files):
                    path = os.path.join(root, name)
                    with open(path, encoding="utf-8") as f:
                        response.file.add(name=os.path.relpath(path, out_dir), content=f.read())
    sys.stdout.buffer.write(response.SerializeToString())
    return 0


if __name__ == "__main__":
    sys.exit(main())
