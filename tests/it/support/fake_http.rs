//! A tiny HTTP server on 127.0.0.1 that answers every request with the same canned response:
//! a proxy's HTML 502, or an AWS error whose message carries control characters. For tests
//! of how gwctl renders answers the emulator never gives. It runs until the test binary exits.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

pub struct FakeHttp {
    endpoint: String,
    requests: Arc<AtomicUsize>,
}

impl FakeHttp {
    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        self.endpoint.clone()
    }

    /// Requests answered so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// Answer every request with `status`, the `headers` and `body`.
pub fn serve(status: &str, headers: &[(&str, &str)], body: &str) -> FakeHttp {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let mut answer = format!(
        "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        answer.push_str(&format!("{k}: {v}\r\n"));
    }
    answer.push_str("\r\n");
    answer.push_str(body);
    let requests = Arc::new(AtomicUsize::new(0));
    let count = requests.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            // Read the request head and whatever body came with it (the SDK's are small).
            let _ = s.set_read_timeout(Some(std::time::Duration::from_millis(500)));
            let mut buf = Vec::new();
            let mut chunk = [0u8; 8192];
            while let Ok(n) = s.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
                if let Some(end) = find(&buf, b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                    let len = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if buf.len() >= end + 4 + len {
                        break;
                    }
                }
            }
            count.fetch_add(1, Ordering::SeqCst);
            let _ = s.write_all(answer.as_bytes());
            let _ = s.flush();
        }
    });
    FakeHttp { endpoint, requests }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
