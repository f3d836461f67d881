//! The sweep's HTTP client for its hottest scenarios (`healthz`, `client_credentials`): one
//! HTTP/1.1 connection per user, through hyper's connection API, in place of the reqwest
//! client goose gives a user.
//!
//! Per request, reqwest matches proxy rules, parses the URL, builds the request's headers,
//! goes through its pool and hands the request to a connection task over a channel, which
//! wakes a second task per response. Here a user's requests are built once, at its setup
//! (cloned per request: reference counts and one header map), and the connection is polled
//! in the user's own task while it waits for its answer: one wake-up per socket readiness.
//! Goose still runs the users, their transactions and the step; only the client layer under
//! the transaction changes, and every answer is still checked by its scenario.

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// The body of every request this client sends.
pub type RequestBody = Full<Bytes>;
type Connection = http1::Connection<TokioIo<TcpStream>, RequestBody>;

/// A response as the checks read it.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Bytes,
}

impl Answer {
    /// The body of a 200; any other status is the check's failure.
    pub fn body_of_200(&self) -> Result<&Bytes, String> {
        if self.status != StatusCode::OK {
            return Err(format!("status {}, not 200", self.status.as_u16()));
        }
        Ok(&self.body)
    }
}

/// Where a user's requests go: one `http://` origin.
#[derive(Debug, Clone)]
pub struct Origin {
    /// `host:port`, what the connection dials.
    address: String,
    /// The `Host` header.
    authority: String,
}

impl Origin {
    /// The origin of an `http://` URL and the request target (path and query) for it;
    /// `None` for any other scheme: this client speaks no TLS.
    pub fn of(url: &str) -> Option<(Self, String)> {
        let url = url::Url::parse(url).ok()?;
        if url.scheme() != "http" {
            return None;
        }
        let host = url.host_str()?;
        let port = url.port_or_known_default()?;
        let authority = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        let target = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        Some((
            Self {
                address: format!("{host}:{port}"),
                authority,
            },
            target,
        ))
    }

    /// A request to `target` on this origin, with its `Host` header.
    pub fn request(&self, method: hyper::Method, target: &str) -> hyper::http::request::Builder {
        Request::builder()
            .method(method)
            .uri(target)
            .header(hyper::header::HOST, &self.authority)
    }
}

/// One user's connection and its prebuilt requests. Clones share the connection (goose
/// clones session data only when it starts a user).
#[derive(Clone)]
pub struct LeanUser {
    origin: Arc<Origin>,
    timeout: Duration,
    new_connection: bool,
    requests: Arc<[Request<RequestBody>]>,
    /// Taken out for a request and put back after it, so no lock is held across an await.
    idle: Arc<Mutex<Option<Live>>>,
}

impl std::fmt::Debug for LeanUser {
    // The requests may carry a client's secret: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeanUser")
            .field("origin", &self.origin)
            .field("requests", &self.requests.len())
            .finish_non_exhaustive()
    }
}

impl LeanUser {
    /// A user that sends `requests` (by index, see [`LeanUser::send`]) to `origin`; its
    /// connection opens at [`LeanUser::connect`] or its first request.
    pub fn new(
        origin: Origin,
        requests: Vec<Request<RequestBody>>,
        timeout: Duration,
        new_connection: bool,
    ) -> Self {
        Self {
            origin: Arc::new(origin),
            timeout,
            new_connection,
            requests: requests.into(),
            idle: Arc::new(Mutex::new(None)),
        }
    }

    /// Opens the user's connection ahead of its first request (at its setup, which the step
    /// does not time).
    pub async fn connect(&self) -> Result<(), String> {
        let live = Live::open(&self.origin).await?;
        *self.idle.lock().unwrap_or_else(PoisonError::into_inner) = Some(live);
        Ok(())
    }

    /// Sends request `which` and reads its whole answer. A connection the server closed while
    /// idle is reopened; one that fails or times out mid-request is dropped, and the next
    /// request opens a new one.
    pub async fn send(&self, which: usize) -> Result<Answer, String> {
        let Some(request) = self.requests.get(which) else {
            return Err(format!("no request {which} for this user"));
        };
        let mut live = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let result = tokio::time::timeout(
            self.timeout,
            exchange(&self.origin, &mut live, request.clone()),
        )
        .await
        .unwrap_or_else(|_| Err("no answer within the request timeout".to_owned()));
        if result.is_ok() && !self.new_connection {
            *self.idle.lock().unwrap_or_else(PoisonError::into_inner) = live;
        }
        result
    }
}

/// An open connection: hyper's sender, and the connection itself until it ends.
struct Live {
    sender: http1::SendRequest<RequestBody>,
    connection: Option<Connection>,
}

impl Live {
    async fn open(origin: &Origin) -> Result<Self, String> {
        let stream = TcpStream::connect(&origin.address)
            .await
            .map_err(|e| format!("connecting to {}: {e}", origin.address))?;
        // Each request leaves in one write; don't let Nagle hold the next one back.
        let _ = stream.set_nodelay(true);
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("HTTP/1 handshake: {e}"))?;
        Ok(Self {
            sender,
            connection: Some(connection),
        })
    }

    fn usable(&self) -> bool {
        self.connection.is_some() && !self.sender.is_closed()
    }
}

/// Polls `future` and, in the same task, the connection it depends on. A connection that ends
/// is dropped at once, which settles whatever still waits on it.
async fn driven<F: Future>(connection: &mut Option<Connection>, future: F) -> F::Output {
    let mut future = pin!(future);
    poll_fn(|cx| {
        if let Some(open) = connection.as_mut()
            && Pin::new(open).poll(cx).is_ready()
        {
            *connection = None;
        }
        future.as_mut().poll(cx)
    })
    .await
}

enum Attempt {
    Answered(Answer),
    /// The connection ended before the request left: it can go again on a new one.
    Unsent(Box<Request<RequestBody>>),
}

async fn exchange(
    origin: &Origin,
    live: &mut Option<Live>,
    request: Request<RequestBody>,
) -> Result<Answer, String> {
    let mut request = request;
    // A keep-alive connection the server closed while idle gives the request back unsent,
    // once; a second refusal, on a connection just opened, is the server's answer.
    for _ in 0..2 {
        let mut connection = match live.take() {
            Some(open) if open.usable() => open,
            _ => Live::open(origin).await?,
        };
        match attempt(&mut connection, request).await? {
            Attempt::Answered(answer) => {
                *live = Some(connection);
                return Ok(answer);
            }
            Attempt::Unsent(again) => request = *again,
        }
    }
    Err("the connection closed before the request could be sent".to_owned())
}

/// One request on `live`: its sender waits for the previous exchange to finish, sends, and
/// reads the whole answer, all polled together with the connection.
async fn attempt(live: &mut Live, request: Request<RequestBody>) -> Result<Attempt, String> {
    let Live { sender, connection } = live;
    driven(connection, async move {
        if sender.ready().await.is_err() {
            return Ok(Attempt::Unsent(Box::new(request)));
        }
        let response = match sender.try_send_request(request).await {
            Ok(response) => response,
            Err(mut error) => {
                return match error.take_message() {
                    Some(request) => Ok(Attempt::Unsent(Box::new(request))),
                    None => Err(format!("no answer: {}", error.into_error())),
                };
            }
        };
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("the body could not be read: {e}"))?
            .to_bytes();
        Ok(Attempt::Answered(Answer { status, body }))
    })
    .await
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;
    use tokio::sync::mpsc;

    use super::*;
    use crate::scenarios::client_credentials::token_answer;
    use crate::scenarios::healthz::health_answer;

    /// One scripted answer: its status line and body, and whether the server then closes the
    /// connection (without saying so in a header, as an idle timeout would).
    struct Script {
        status: &'static str,
        body: &'static str,
        close: bool,
    }

    fn answer(status: &'static str, body: &'static str) -> Script {
        Script {
            status,
            body,
            close: false,
        }
    }

    /// A loopback server that answers the n-th request with `scripts[n]`; returns its URL, the
    /// count of connections it accepted, and a channel told each time it closes one.
    async fn scripted(
        scripts: Vec<Script>,
    ) -> (String, Arc<AtomicUsize>, mpsc::UnboundedReceiver<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/healthz", listener.local_addr().unwrap());
        let accepted = Arc::new(AtomicUsize::new(0));
        let (closed_tx, closed) = mpsc::unbounded_channel();
        let counter = Arc::clone(&accepted);
        tokio::spawn(async move {
            let mut scripts = scripts.into_iter();
            while let Ok((stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let mut stream = BufReader::new(stream);
                loop {
                    let mut length = 0;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
                            break;
                        }
                        if line == "\r\n" {
                            break;
                        }
                        if let Some((name, value)) = line.split_once(':')
                            && name.eq_ignore_ascii_case("content-length")
                        {
                            length = value.trim().parse().unwrap();
                        }
                    }
                    if line != "\r\n" {
                        break;
                    }
                    let mut body = vec![0; length];
                    stream.read_exact(&mut body).await.unwrap();
                    let Some(script) = scripts.next() else { break };
                    let response = format!(
                        "HTTP/1.1 {}\r\ncontent-length: {}\r\n\r\n{}",
                        script.status,
                        script.body.len(),
                        script.body
                    );
                    stream.write_all(response.as_bytes()).await.unwrap();
                    if script.close {
                        break;
                    }
                }
                drop(stream);
                let _ = closed_tx.send(());
            }
        });
        (url, accepted, closed)
    }

    fn lean_get(url: &str) -> LeanUser {
        let (origin, target) = Origin::of(url).unwrap();
        let request = origin
            .request(hyper::Method::GET, &target)
            .body(RequestBody::default())
            .unwrap();
        LeanUser::new(origin, vec![request], Duration::from_secs(10), false)
    }

    #[tokio::test]
    async fn answers_come_back_whole_on_one_kept_connection() {
        let (url, accepted, _) =
            scripted(vec![answer("200 OK", "ok"), answer("200 OK", "still ok")]).await;
        let user = lean_get(&url);

        let first = user.send(0).await.unwrap();
        let second = user.send(0).await.unwrap();

        assert_eq!(first.status, StatusCode::OK);
        assert_eq!(&first.body[..], b"ok");
        assert_eq!(&second.body[..], b"still ok");
        assert!(health_answer(&first).is_ok());
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_5xx_or_a_wrong_body_fails_its_check() {
        let (url, _, _) = scripted(vec![
            answer("500 Internal Server Error", r#"{"error": "server_error"}"#),
            answer("200 OK", ""),
            answer("200 OK", "<html>not json</html>"),
            answer("200 OK", r#"{"access_token": "t"}"#),
            answer("200 OK", r#"{"access_token": "t", "token_type": "Bearer"}"#),
        ])
        .await;
        let user = lean_get(&url);
        let mut answers = Vec::new();
        for _ in 0..5 {
            answers.push(user.send(0).await.unwrap());
        }

        assert_eq!(
            health_answer(&answers[0]).unwrap_err(),
            "status 500, not 200"
        );
        assert!(token_answer(&answers[0]).is_err());
        assert_eq!(
            health_answer(&answers[1]).unwrap_err(),
            "an empty health answer"
        );
        assert_eq!(
            token_answer(&answers[2]).unwrap_err(),
            "a 200 whose body is not a JSON object"
        );
        assert!(token_answer(&answers[3]).is_err(), "no token_type");
        assert!(token_answer(&answers[4]).is_ok());
    }

    #[tokio::test]
    async fn a_connection_the_server_closed_is_reopened() {
        let (url, accepted, mut closed) = scripted(vec![
            Script {
                close: true,
                ..answer("200 OK", "ok")
            },
            answer("200 OK", "ok again"),
        ])
        .await;
        let user = lean_get(&url);

        assert!(health_answer(&user.send(0).await.unwrap()).is_ok());
        closed.recv().await.unwrap();
        let again = user.send(0).await.unwrap();

        assert_eq!(&again.body[..], b"ok again");
        assert_eq!(accepted.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_server_that_is_gone_is_an_error_not_a_panic() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/healthz", listener.local_addr().unwrap());
        drop(listener);

        let error = lean_get(&url).send(0).await.unwrap_err();

        assert!(error.starts_with("connecting to 127.0.0.1:"), "{error}");
    }

    #[test]
    fn only_http_urls_have_a_lean_origin() {
        let (origin, target) = Origin::of("http://localhost:8080/oauth/token?x=1").unwrap();
        assert_eq!(origin.address, "localhost:8080");
        assert_eq!(origin.authority, "localhost:8080");
        assert_eq!(target, "/oauth/token?x=1");
        let (origin, _) = Origin::of("http://example.test/healthz").unwrap();
        assert_eq!(origin.address, "example.test:80");
        assert_eq!(origin.authority, "example.test");
        assert!(Origin::of("https://example.test/healthz").is_none());
        assert!(Origin::of("not a url").is_none());
    }
}
