# gwctl as a container image: one static (musl) binary on distroless/static, which carries
# the CA certificates and a non-root user (nonroot, uid 65532, home /home/nonroot) and
# nothing else: no shell, no package manager.
#
#   docker build -t gwctl .                    # the image: ENTRYPOINT ["gwctl"]
#   docker build --target ci -t gwctl:ci .     # the same binary plus busybox sh, for CI
#                                              # systems that run scripts in the image (GitLab)
#   docker run --rm -v ~/.aws:/home/nonroot/.aws:ro -v "$PWD:/work" -w /work gwctl plan specs/todo.yaml
#
# The release workflow publishes both as ghcr.io/gwctl/gwctl:VERSION and :VERSION-ci.

FROM rust:1.94-alpine AS build
RUN apk add --no-cache musl-dev build-base cmake perl
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY src ./src
# No .git in the build context: the commit comes from GWCTL_COMMIT (--build-arg).
ARG GWCTL_COMMIT SOURCE_DATE_EPOCH
RUN cargo build --release --locked && cp target/release/gwctl /gwctl && /gwctl --version

# For CI systems that run a shell inside the job's image: busybox sh in /busybox.
FROM gcr.io/distroless/static-debian12:debug-nonroot AS ci
COPY --from=build /gwctl /usr/local/bin/gwctl
USER nonroot
ENTRYPOINT ["gwctl"]

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /gwctl /usr/local/bin/gwctl
USER nonroot
WORKDIR /home/nonroot
ENTRYPOINT ["gwctl"]
