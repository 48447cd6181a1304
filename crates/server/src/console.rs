//! The operator console: a few static files, built from `console/` by esbuild and embedded in
//! the binary at compile time, served on the gRPC listener beside the gRPC-web endpoint the page
//! calls (one origin, so no CORS). The page signs its calls with the operator's bearer token, so
//! the static files are the only thing served without one.
//!
//! [`ConsoleLayer`] sits outside tonic-web's layer, because that layer answers HTTP 400 to any
//! HTTP/1.1 request that is not gRPC-web: a browser's GET never reaches it.

use std::task::{Context, Poll};

use bytes::Bytes;
use futures::future::{BoxFuture, Either};
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use tonic::body::Body;
use tower::{Layer, Service};

/// Where the console lives; `/` redirects here.
pub const PATH: &str = "/console/";

/// One embedded file.
struct Asset {
    path: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

/// `make console` writes these (and commits them, so a clone builds without Node);
/// `make console-check` fails when they differ from what `console/src` produces.
const ASSETS: &[Asset] = &[
    Asset {
        path: "/console/",
        content_type: "text/html; charset=utf-8",
        bytes: include_bytes!("../../../console/dist/index.html"),
    },
    Asset {
        path: "/console/app.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../../console/dist/app.js"),
    },
    Asset {
        path: "/console/app.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../../console/dist/app.css"),
    },
    Asset {
        path: "/console/favicon.svg",
        content_type: "image/svg+xml",
        bytes: include_bytes!("../../../console/dist/favicon.svg"),
    },
];

/// Scripts and styles from this origin only, no inline script or style, calls to this origin
/// only, and no framing.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// Answers the console's GETs; passes everything else (gRPC, gRPC-web) through.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConsoleLayer;

impl<S> Layer<S> for ConsoleLayer {
    type Service = ConsoleService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ConsoleService { inner }
    }
}

/// The service [`ConsoleLayer`] wraps around the gRPC stack.
#[derive(Debug, Clone)]
pub struct ConsoleService<S> {
    inner: S,
}

impl<S, ReqBody> Service<Request<ReqBody>> for ConsoleService<S>
where
    S: Service<Request<ReqBody>, Response = Response<Body>>,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = Either<
        std::future::Ready<Result<Response<Body>, S::Error>>,
        BoxFuture<'static, Result<Response<Body>, S::Error>>,
    >;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        if is_page_request(&request) {
            return Either::Left(std::future::ready(Ok(answer(
                request.method(),
                request.uri().path(),
            ))));
        }
        Either::Right(Box::pin(self.inner.call(request)))
    }
}

/// A browser's GET (or HEAD): anything that is not a gRPC or gRPC-web call, which are POSTs
/// with an `application/grpc…` content type.
fn is_page_request<B>(request: &Request<B>) -> bool {
    let grpc = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/grpc"));
    !grpc && matches!(*request.method(), Method::GET | Method::HEAD)
}

fn answer(method: &Method, path: &str) -> Response<Body> {
    if path == "/" || path == "/console" || path == "/index.html" {
        let mut redirect = plain(StatusCode::FOUND);
        redirect
            .headers_mut()
            .insert(header::LOCATION, HeaderValue::from_static(PATH));
        return redirect;
    }
    let Some(asset) = ASSETS.iter().find(|asset| asset.path == path) else {
        return plain(StatusCode::NOT_FOUND);
    };
    // The files are small and change with the binary, so browsers revalidate rather than cache.
    let body = if method == Method::HEAD {
        &b""[..]
    } else {
        asset.bytes
    };
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, asset.content_type)
        .header(header::CACHE_CONTROL, "no-cache")
        .header(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::REFERRER_POLICY, "no-referrer")
        .header(header::X_FRAME_OPTIONS, "DENY")
        .body(Body::new(http_body_util::Full::new(Bytes::from_static(
            body,
        ))))
        // Every header above is a valid static value, so the builder cannot fail.
        .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR))
}

fn plain(status: StatusCode) -> Response<Body> {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(path: &str) -> Request<()> {
        Request::get(path).body(()).unwrap()
    }

    #[test]
    fn pages_are_gets_without_a_grpc_content_type() {
        assert!(is_page_request(&get("/console/")));
        let grpc_web = Request::post("/onramp.v1.CatalogService/ListOnRamps")
            .header(header::CONTENT_TYPE, "application/grpc-web+proto")
            .body(())
            .unwrap();
        assert!(!is_page_request(&grpc_web));
        let post = Request::post("/console/").body(()).unwrap();
        assert!(!is_page_request(&post));
    }

    #[test]
    fn the_root_redirects_and_every_file_carries_the_security_policy() {
        let root = answer(&Method::GET, "/");
        assert_eq!(root.status(), StatusCode::FOUND);
        assert_eq!(root.headers()[header::LOCATION], PATH);
        for asset in ASSETS {
            let page = answer(&Method::GET, asset.path);
            assert_eq!(page.status(), StatusCode::OK, "{}", asset.path);
            assert_eq!(
                page.headers()[header::CONTENT_SECURITY_POLICY],
                CONTENT_SECURITY_POLICY
            );
            assert!(!asset.bytes.is_empty(), "{} is empty", asset.path);
        }
        assert_eq!(
            answer(&Method::GET, "/console/../Cargo.toml").status(),
            StatusCode::NOT_FOUND
        );
    }

    #[test]
    fn the_page_loads_no_inline_script() {
        let index = std::str::from_utf8(ASSETS[0].bytes).unwrap();
        assert!(index.contains(r#"<script src="/console/app.js""#));
        assert!(!index.contains("<script>"), "inline scripts break the CSP");
    }
}
