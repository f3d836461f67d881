//! SQLite storage.
//!
//! One writer thread owns the only write connection. It takes every request waiting in its
//! queue and commits them in one transaction (group commit), each inside its own savepoint so
//! that one failing request does not undo the others; replies leave only after the commit.
//! Reads run on the calling thread, on one of a few read-only connections that WAL lets run
//! beside the writer: a point read on memory-mapped pages takes microseconds, less than handing
//! it to another thread and back (a thread woken each way, which was a sixth of a token
//! request's CPU). Reads that may be long (every client) go to tokio's blocking pool.
//!
//! Clients read by id are kept in memory ([`ClientCache`]): a client_credentials token reads
//! its client twice and writes nothing, so these reads were most of what storage cost it.
//!
//! Durability: WAL with `synchronous=NORMAL`. A commit has reached the operating system before
//! its reply is sent, so whatever was acknowledged survives the process being killed at any
//! instant (`kill -9`); only a power cut can lose the last commits.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::Duration;

use async_trait::async_trait;
use crossbeam_channel::{Receiver, Sender};
use rusqlite::{
    Connection, ErrorCode, OpenFlags, OptionalExtension as _, Row, Transaction,
    TransactionBehavior, params,
};
use rusqlite_migration::{M, Migrations};
use tokio::sync::oneshot;

use super::{ClientRecord, CodeRecord, Redemption, Store, StoreError, TokenKind, TokenRecord};
use crate::client::Client;
use crate::scope;
use crate::secret::Digest;
use crate::signed::TokenKey;

/// Clients kept in memory at most: enough for every client of a large deployment, small enough
/// (a few KB each) to bound memory whatever ids are asked for.
const CACHED_CLIENTS: usize = 4_096;
/// Read connections per available CPU: more threads than CPUs rarely read at once.
const READERS_PER_CPU: usize = 2;
const MAX_BATCH: usize = 512;
/// Pause between checkpoints, so that a busy writer's commits are copied back in bulk.
const CHECKPOINT_PAUSE: Duration = Duration::from_millis(50);
/// WAL length (in pages) past which a checkpoint also starts the log over. Under continuous
/// writes a passive checkpoint never finds the log idle, so without this it grows for ever.
const WAL_RESTART_PAGES: i64 = 65_536;
/// Memory-mapped reads: the tokens table outgrows the page cache quickly under load, and each
/// miss would be a read system call. (A larger page cache costs more: every commit scans it.)
const MMAP_BYTES: i64 = 256 * 1024 * 1024;

type Reply = Box<dyn FnOnce(Result<(), StoreError>) + Send>;
type WriteJob = Box<dyn FnOnce(&mut Transaction<'_>) -> Reply + Send>;

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(include_str!("../../migrations/0001_initial.sql")),
        M::up(include_str!("../../migrations/0002_codes.sql")),
        M::up(include_str!(
            "../../migrations/0003_self_contained_tokens.sql"
        )),
    ])
}

enum Location {
    File(PathBuf),
    Memory,
}

fn parse_url(url: &str) -> Result<Location, StoreError> {
    if url == "sqlite::memory:" {
        return Ok(Location::Memory);
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .filter(|p| !p.is_empty())
        .ok_or_else(|| {
            StoreError::UnsupportedUrl(format!("{url} (expected sqlite://PATH or sqlite::memory:)"))
        })?;
    Ok(Location::File(PathBuf::from(path)))
}

fn backend(error: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(error.to_string())
}

/// Read-only connections, each taken by one reader at a time.
struct ReadPool {
    connections: Box<[Mutex<Connection>]>,
    next: AtomicUsize,
}

impl ReadPool {
    fn open(path: &std::path::Path) -> Result<Self, StoreError> {
        let cpus = thread::available_parallelism().map_or(1, usize::from);
        let connections = (0..cpus * READERS_PER_CPU)
            .map(|_| {
                let conn = Connection::open_with_flags(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .map_err(backend)?;
                conn.busy_timeout(Duration::from_secs(5)).map_err(backend)?;
                map_reads(&conn)?;
                Ok(Mutex::new(conn))
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(Self {
            connections,
            next: AtomicUsize::new(0),
        })
    }

    /// A free connection if there is one (round-robin from a moving start), else waits for one.
    fn take(&self) -> MutexGuard<'_, Connection> {
        let first = self.next.fetch_add(1, Ordering::Relaxed);
        let count = self.connections.len();
        (0..count)
            .find_map(|i| self.connections[(first + i) % count].try_lock().ok())
            .unwrap_or_else(|| {
                // A reader that panicked left the connection as SQLite keeps it: usable.
                self.connections[first % count]
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
            })
    }

    fn run<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        // Said in the log: a storage failure while reading, not while writing.
        f(&self.take()).map_err(|e| match e {
            StoreError::Backend(m) => StoreError::Backend(format!("read: {m}")),
            other => other,
        })
    }
}

/// Clients by id as last read. A write that changes a client empties it after its commit and
/// before its reply; a reader fills it only when no such write has ended since the reader
/// looked (the generation, checked under the same lock), so a stale record read before a commit
/// is never kept after it, and an acknowledged change is seen by every later read.
/// Absent ids are not kept: a stream of unknown ids cannot fill memory.
#[derive(Default)]
struct ClientCache {
    entries: Mutex<HashMap<String, ClientRecord>>,
    generation: AtomicU64,
}

impl ClientCache {
    fn entries(&self) -> MutexGuard<'_, HashMap<String, ClientRecord>> {
        // Entries are inserted or cleared whole: a panic leaves none half-written.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn get(&self, client_id: &str) -> Option<ClientRecord> {
        self.entries().get(client_id).cloned()
    }

    /// The generation a reader notes before it reads the database.
    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    fn fill(&self, client_id: String, record: &ClientRecord, read_in: u64) {
        let mut entries = self.entries();
        if self.generation.load(Ordering::Acquire) == read_in && entries.len() < CACHED_CLIENTS {
            entries.insert(client_id, record.clone());
        }
    }

    fn invalidate(&self) {
        let mut entries = self.entries();
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }
}

pub struct SqliteStore {
    writer: Sender<WriteJob>,
    readers: Option<Arc<ReadPool>>,
    clients: Arc<ClientCache>,
    token_key: TokenKey,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field(
                "readers",
                &self
                    .readers
                    .as_ref()
                    .map_or(0, |pool| pool.connections.len()),
            )
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database, then starts the writer and readers.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_restarting_at(url, WAL_RESTART_PAGES)
    }

    fn open_restarting_at(url: &str, wal_restart_pages: i64) -> Result<Self, StoreError> {
        let location = parse_url(url)?;
        let mut conn = match &location {
            Location::File(path) => Connection::open(path).map_err(backend)?,
            Location::Memory => Connection::open_in_memory().map_err(backend)?,
        };
        conn.busy_timeout(Duration::from_secs(5)).map_err(backend)?;
        if let Location::File(_) = location {
            conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
                .map_err(backend)?;
        }
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(backend)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(backend)?;
        map_reads(&conn)?;
        migrations().to_latest(&mut conn).map_err(backend)?;
        let token_key = load_token_key(&conn)?;

        let nudge = match &location {
            Location::Memory => None,
            Location::File(path) => {
                conn.pragma_update(None, "wal_autocheckpoint", 0)
                    .map_err(backend)?;
                let checkpointer = Connection::open(path).map_err(backend)?;
                checkpointer
                    .busy_timeout(Duration::from_secs(5))
                    .map_err(backend)?;
                let (nudge, nudged) = crossbeam_channel::bounded(1);
                thread::Builder::new()
                    .name("sqlite-checkpoint".into())
                    .spawn(move || checkpoint_loop(checkpointer, nudged, wal_restart_pages))
                    .map_err(backend)?;
                Some(nudge)
            }
        };
        let (writer, jobs) = crossbeam_channel::unbounded();
        thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || write_loop(conn, jobs, nudge))
            .map_err(backend)?;

        let readers = match location {
            Location::Memory => None, // an in-memory database lives in its one connection
            Location::File(path) => Some(Arc::new(ReadPool::open(&path)?)),
        };
        Ok(Self {
            writer,
            readers,
            clients: Arc::default(),
            token_key,
        })
    }

    async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.write_then(f, None).await
    }

    /// A write that changes a client: the cache is emptied once it has committed, before the
    /// reply.
    async fn write_client<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.write_then(f, Some(Arc::clone(&self.clients))).await
    }

    async fn write_then<T, F>(
        &self,
        f: F,
        invalidate: Option<Arc<ClientCache>>,
    ) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: WriteJob = Box::new(move |txn: &mut Transaction<'_>| {
            let outcome = match txn.savepoint() {
                Ok(savepoint) => match f(&savepoint) {
                    Ok(value) => savepoint.commit().map(|()| value).map_err(backend),
                    Err(e) => Err(e), // dropping the savepoint rolls this request back
                },
                Err(e) => Err(backend(e)),
            };
            Box::new(move |committed: Result<(), StoreError>| {
                if let Some(cache) = invalidate {
                    cache.invalidate();
                }
                let _ = reply.send(committed.and(outcome));
            })
        });
        self.writer.send(job).map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// A short read, on the calling thread.
    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        match &self.readers {
            Some(pool) => pool.run(f),
            None => self.write(f).await,
        }
    }

    /// A read that may take long, on tokio's blocking pool so that it holds up no other request.
    async fn long_read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let Some(pool) = &self.readers else {
            return self.write(f).await;
        };
        let pool = Arc::clone(pool);
        tokio::task::spawn_blocking(move || pool.run(f))
            .await
            .map_err(|_| StoreError::Closed)?
    }
}

fn map_reads(conn: &Connection) -> Result<(), StoreError> {
    // Answers a row (the size it took), hence a query.
    conn.query_row(&format!("PRAGMA mmap_size = {MMAP_BYTES}"), [], |_| Ok(()))
        .optional()
        .map_err(backend)?;
    Ok(())
}

/// Copies committed WAL frames back into the database file beside the writer. Left to the
/// writer (SQLite's default), each checkpoint's `fsync` held up every request queued behind it:
/// p99 of token requests was 8 ms at 800 requests/s. Passive checkpoints block neither the
/// writer nor a reader; a long log is restarted, which waits for the writer's current batch.
/// The loop ends with the writer.
fn checkpoint_loop(conn: Connection, nudged: Receiver<()>, restart_pages: i64) {
    while nudged.recv().is_ok() {
        let log_pages = conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
                row.get::<_, i64>(1)
            })
            .unwrap_or(0);
        if log_pages > restart_pages {
            let _ = conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(()));
        }
        thread::sleep(CHECKPOINT_PAUSE);
    }
}

fn write_loop(mut conn: Connection, jobs: Receiver<WriteJob>, nudge: Option<Sender<()>>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        batch.extend(jobs.try_iter().take(MAX_BATCH - 1));
        let mut replies: Vec<Reply> = Vec::with_capacity(batch.len());
        // IMMEDIATE: the write lock before the first read, so a checkpoint that restarted the log
        // in between cannot leave this batch a stale snapshot (SQLITE_BUSY_SNAPSHOT, never retried).
        let committed = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
            Ok(mut txn) => {
                for job in batch {
                    replies.push(job(&mut txn));
                }
                txn.commit().map_err(backend)
            }
            // The jobs are dropped unrun: their callers see the storage as closed.
            Err(e) => Err(backend(e)),
        };
        for reply in replies {
            reply(committed.clone());
        }
        if let Some(nudge) = &nudge {
            let _ = nudge.try_send(());
        }
    }
}

fn client_from(row_id: i64, record: &str) -> Result<Client, StoreError> {
    let mut client: Client = serde_json::from_str(record).map_err(backend)?;
    client.row_id = row_id;
    Ok(client)
}

fn digest_from(bytes: &[u8]) -> Result<Digest, StoreError> {
    Digest::from_slice(bytes)
        .ok_or_else(|| StoreError::Backend("a stored digest is not 32 bytes".into()))
}

fn token_from(row: &Row<'_>) -> rusqlite::Result<(TokenRecord, i64, String, Vec<u8>)> {
    let hash: Vec<u8> = row.get("hash")?;
    let kind: String = row.get("kind")?;
    let family: Option<Vec<u8>> = row.get("family")?;
    let scopes: String = row.get("scopes")?;
    let audience: String = row.get("audience")?;
    let record = TokenRecord {
        hash: Digest::of(""), // replaced below, once the bytes are checked
        kind: if kind == "refresh" {
            TokenKind::Refresh
        } else {
            TokenKind::Access
        },
        client_row_id: row.get("client_row_id")?,
        family: family.and_then(|f| <[u8; 16]>::try_from(f.as_slice()).ok()),
        subject: row.get("subject")?,
        username: row.get("username")?,
        scopes: scope::split(&scopes),
        audience: scope::split(&audience),
        issued_at: row.get("issued_at")?,
        expires_at: row.get("expires_at")?,
        revoked: row.get::<_, i64>("revoked")? != 0,
        issued_under: None,
    };
    Ok((record, row.get("row_id")?, row.get("record")?, hash))
}

fn insert_token(conn: &Connection, token: &TokenRecord) -> Result<(), StoreError> {
    // In the same transaction as the insert: a deletion or a New Secret committed since the
    // request authenticated wins (and a foreign-key failure never becomes a 500).
    let current: Option<Vec<u8>> = conn
        .prepare_cached("SELECT secret_hash FROM clients WHERE row_id = ?1")
        .and_then(|mut stmt| {
            stmt.query_row([token.client_row_id], |row| row.get(0))
                .optional()
        })
        .map_err(backend)?;
    let unchanged = match (&current, &token.issued_under) {
        (None, _) => false,
        (Some(stored), Some(secret)) => digest_from(stored)?.matches(secret),
        (Some(_), None) => true,
    };
    if !unchanged {
        return Err(StoreError::ClientChanged);
    }
    // The grant's code was presented again while this redemption was under way (TOKEN-CODE-03).
    let replayed = match &token.family {
        Some(family) => conn
            .prepare_cached("SELECT 1 FROM codes WHERE family = ?1 AND used = 2")
            .and_then(|mut stmt| stmt.exists([family.as_slice()]))
            .map_err(backend)?,
        None => false,
    };
    conn.prepare_cached(
        "INSERT INTO tokens (hash, kind, client_row_id, family, subject, username, scopes, audience, issued_at, expires_at, revoked)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            token.hash.as_bytes().as_slice(),
            token.kind.as_str(),
            token.client_row_id,
            token.family.as_ref().map(|f| f.as_slice()),
            token.subject,
            token.username,
            scope::join(&token.scopes),
            scope::join(&token.audience),
            token.issued_at,
            token.expires_at,
            token.revoked || replayed,
        ])
    })
    .map_err(backend)?;
    Ok(())
}

/// A code row and whether it was used; the hash is filled in by the caller, who knows it.
fn code_from(row: &Row<'_>) -> rusqlite::Result<(CodeRecord, bool)> {
    let family: Vec<u8> = row.get("family")?;
    let challenge: Option<String> = row.get("challenge")?;
    let method: Option<String> = row.get("challenge_method")?;
    let scopes: String = row.get("scopes")?;
    let audience: String = row.get("audience")?;
    let code = CodeRecord {
        hash: Digest::of(""),
        client_row_id: row.get("client_row_id")?,
        family: <[u8; 16]>::try_from(family.as_slice()).unwrap_or_default(),
        redirect_uri: row.get("redirect_uri")?,
        subject: row.get("subject")?,
        scopes: scope::split(&scopes),
        audience: scope::split(&audience),
        challenge: challenge.zip(method).and_then(|(value, method)| {
            crate::pkce::Method::parse(&method)
                .map(|method| crate::pkce::Challenge { value, method })
        }),
        issued_at: row.get("issued_at")?,
        expires_at: row.get("expires_at")?,
    };
    Ok((code, row.get::<_, i64>("used")? != 0))
}

#[async_trait]
impl Store for SqliteStore {
    async fn insert_client(
        &self,
        client: Client,
        secret_hash: Digest,
    ) -> Result<Client, StoreError> {
        self.write(move |conn| {
            let record = serde_json::to_string(&client).map_err(backend)?;
            let inserted = conn
                .prepare_cached(
                    "INSERT INTO clients (client_id, kind, secret_hash, record, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .and_then(|mut stmt| {
                    stmt.execute(params![
                        client.client_id,
                        client.kind.as_str(),
                        secret_hash.as_bytes().as_slice(),
                        record,
                        client.created_at
                    ])
                });
            match inserted {
                Ok(_) => Ok(Client {
                    row_id: conn.last_insert_rowid(),
                    ..client
                }),
                Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == ErrorCode::ConstraintViolation => {
                    Err(StoreError::Conflict)
                }
                Err(e) => Err(backend(e)),
            }
        })
        .await
    }

    async fn client(&self, client_id: &str) -> Result<Option<ClientRecord>, StoreError> {
        if let Some(cached) = self.clients.get(client_id) {
            return Ok(Some(cached));
        }
        let generation = self.clients.generation();
        let id = client_id.to_owned();
        let found = self
            .read(move |conn| {
                let row = conn
                    .prepare_cached(
                        "SELECT row_id, secret_hash, record, token_epoch FROM clients WHERE client_id = ?1",
                    )
                    .and_then(|mut stmt| stmt.query_row([&id], client_row).optional())
                    .map_err(backend)?;
                row.map(ClientRow::into_record).transpose()
            })
            .await?;
        if let Some(record) = &found {
            self.clients.fill(client_id.to_owned(), record, generation);
        }
        Ok(found)
    }

    async fn clients(&self) -> Result<Vec<Client>, StoreError> {
        self.long_read(|conn| {
            let mut stmt = conn
                .prepare_cached("SELECT row_id, record FROM clients ORDER BY row_id")
                .map_err(backend)?;
            let rows = stmt
                .query_map([], |row| {
                    Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
                })
                .map_err(backend)?;
            rows.map(|row| {
                let (row_id, record) = row.map_err(backend)?;
                client_from(row_id, &record)
            })
            .collect()
        })
        .await
    }

    async fn update_client(&self, client: &Client) -> Result<bool, StoreError> {
        let client = client.clone();
        self.write_client(move |conn| {
            let record = serde_json::to_string(&client).map_err(backend)?;
            let changed = conn
                .prepare_cached("UPDATE clients SET record = ?1 WHERE row_id = ?2")
                .and_then(|mut stmt| stmt.execute(params![record, client.row_id]))
                .map_err(backend)?;
            Ok(changed > 0)
        })
        .await
    }

    async fn delete_client(&self, client_id: &str) -> Result<bool, StoreError> {
        let client_id = client_id.to_owned();
        self.write_client(move |conn| {
            for table in ["tokens", "codes"] {
                conn.execute(
                    &format!("DELETE FROM {table} WHERE client_row_id IN (SELECT row_id FROM clients WHERE client_id = ?1)"),
                    [&client_id],
                )
                .map_err(backend)?;
            }
            let deleted = conn
                .execute("DELETE FROM clients WHERE client_id = ?1", [&client_id])
                .map_err(backend)?;
            Ok(deleted > 0)
        })
        .await
    }

    async fn replace_secret(
        &self,
        row_id: i64,
        secret_hash: Digest,
        revoke_tokens: bool,
    ) -> Result<bool, StoreError> {
        self.write_client(move |conn| {
            let changed = conn
                .execute(
                    "UPDATE clients SET secret_hash = ?1 WHERE row_id = ?2",
                    params![secret_hash.as_bytes().as_slice(), row_id],
                )
                .map_err(backend)?;
            if changed > 0 && revoke_tokens {
                conn.execute(
                    "UPDATE tokens SET revoked = 1 WHERE client_row_id = ?1",
                    [row_id],
                )
                .map_err(backend)?;
                conn.execute(
                    "UPDATE clients SET token_epoch = token_epoch + 1 WHERE row_id = ?1",
                    [row_id],
                )
                .map_err(backend)?;
                // A pending code would otherwise still buy fresh tokens (ADMIN-04).
                conn.execute("DELETE FROM codes WHERE client_row_id = ?1", [row_id])
                    .map_err(backend)?;
            }
            Ok(changed > 0)
        })
        .await
    }

    async fn insert_token(&self, token: TokenRecord) -> Result<(), StoreError> {
        self.write(move |conn| insert_token(conn, &token)).await
    }

    async fn insert_tokens(&self, tokens: Vec<TokenRecord>) -> Result<(), StoreError> {
        self.write(move |conn| {
            tokens
                .iter()
                .try_for_each(|token| insert_token(conn, token))
        })
        .await
    }

    async fn insert_code(&self, code: CodeRecord) -> Result<(), StoreError> {
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO codes (hash, client_row_id, family, redirect_uri, subject, scopes, audience, challenge, challenge_method, issued_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    code.hash.as_bytes().as_slice(),
                    code.client_row_id,
                    code.family.as_slice(),
                    code.redirect_uri,
                    code.subject,
                    scope::join(&code.scopes),
                    scope::join(&code.audience),
                    code.challenge.as_ref().map(|c| c.value.as_str()),
                    code.challenge.as_ref().map(|c| c.method.as_str()),
                    code.issued_at,
                    code.expires_at,
                ])
            })
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn redeem_code(&self, hash: Digest) -> Result<Redemption, StoreError> {
        self.write(move |conn| {
            let found = conn
                .prepare_cached("SELECT * FROM codes WHERE hash = ?1")
                .and_then(|mut stmt| {
                    stmt.query_row([hash.as_bytes().as_slice()], code_from)
                        .optional()
                })
                .map_err(backend)?;
            let Some((code, used)) = found else {
                return Ok(Redemption::Unknown);
            };
            if used {
                // Marked, so that tokens of a redemption still being stored are born revoked.
                conn.prepare_cached("UPDATE codes SET used = 2 WHERE hash = ?1")
                    .and_then(|mut stmt| stmt.execute([hash.as_bytes().as_slice()]))
                    .map_err(backend)?;
                conn.prepare_cached("UPDATE tokens SET revoked = 1 WHERE family = ?1")
                    .and_then(|mut stmt| stmt.execute([code.family.as_slice()]))
                    .map_err(backend)?;
                return Ok(Redemption::Reused);
            }
            conn.prepare_cached("UPDATE codes SET used = 1 WHERE hash = ?1")
                .and_then(|mut stmt| stmt.execute([hash.as_bytes().as_slice()]))
                .map_err(backend)?;
            Ok(Redemption::Fresh(CodeRecord { hash, ..code }))
        })
        .await
    }

    async fn rotate_refresh(
        &self,
        old: Digest,
        successors: Vec<TokenRecord>,
    ) -> Result<bool, StoreError> {
        self.write(move |conn| {
            let consumed = conn
                .prepare_cached("UPDATE tokens SET revoked = 1 WHERE hash = ?1 AND kind = 'refresh' AND revoked = 0")
                .and_then(|mut stmt| stmt.execute([old.as_bytes().as_slice()]))
                .map_err(backend)?;
            if consumed == 0 {
                conn.prepare_cached(
                    "UPDATE tokens SET revoked = 1 WHERE family = (SELECT family FROM tokens WHERE hash = ?1)",
                )
                .and_then(|mut stmt| stmt.execute([old.as_bytes().as_slice()]))
                .map_err(backend)?;
                return Ok(false);
            }
            successors.iter().try_for_each(|token| insert_token(conn, token))?;
            Ok(true)
        })
        .await
    }

    async fn token(&self, hash: Digest) -> Result<Option<(TokenRecord, Client)>, StoreError> {
        self.read(move |conn| {
            let row = conn
                .prepare_cached(
                    "SELECT t.*, c.row_id, c.record FROM tokens t JOIN clients c ON c.row_id = t.client_row_id WHERE t.hash = ?1",
                )
                .and_then(|mut stmt| stmt.query_row([hash.as_bytes().as_slice()], token_from).optional())
                .map_err(backend)?;
            row.map(|(mut token, row_id, record, stored_hash)| {
                token.hash = digest_from(&stored_hash)?;
                Ok((token, client_from(row_id, &record)?))
            })
            .transpose()
        })
        .await
    }

    async fn revoke_token(&self, hash: Digest) -> Result<(), StoreError> {
        self.write(move |conn| {
            conn.prepare_cached("UPDATE tokens SET revoked = 1 WHERE hash = ?1")
                .and_then(|mut stmt| stmt.execute([hash.as_bytes().as_slice()]))
                .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn revoke_family(&self, family: [u8; 16]) -> Result<(), StoreError> {
        self.write(move |conn| {
            conn.prepare_cached("UPDATE tokens SET revoked = 1 WHERE family = ?1")
                .and_then(|mut stmt| stmt.execute([family.as_slice()]))
                .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn purge_expired(&self, before: i64) -> Result<usize, StoreError> {
        self.write(move |conn| {
            let mut purged = 0;
            for table in ["tokens", "codes", "revoked_tokens"] {
                purged += conn
                    .execute(
                        &format!("DELETE FROM {table} WHERE expires_at < ?1"),
                        [before],
                    )
                    .map_err(backend)?;
            }
            Ok(purged)
        })
        .await
    }

    fn token_key(&self) -> &TokenKey {
        &self.token_key
    }

    async fn self_contained_state(
        &self,
        client_row_id: i64,
        hash: Digest,
    ) -> Result<Option<(ClientRecord, bool)>, StoreError> {
        self.read(move |conn| {
            let Some(row) = conn
                .prepare_cached(
                    "SELECT row_id, secret_hash, record, token_epoch FROM clients WHERE row_id = ?1",
                )
                .and_then(|mut stmt| stmt.query_row([client_row_id], client_row).optional())
                .map_err(backend)?
            else {
                return Ok(None);
            };
            let revoked = conn
                .prepare_cached("SELECT 1 FROM revoked_tokens WHERE hash = ?1")
                .and_then(|mut stmt| stmt.exists([hash.as_bytes().as_slice()]))
                .map_err(backend)?;
            Ok(Some((row.into_record()?, revoked)))
        })
        .await
    }

    async fn revoke_self_contained(&self, hash: Digest, expires_at: i64) -> Result<(), StoreError> {
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT OR IGNORE INTO revoked_tokens (hash, expires_at) VALUES (?1, ?2)",
            )
            .and_then(|mut stmt| stmt.execute(params![hash.as_bytes().as_slice(), expires_at]))
            .map_err(backend)?;
            Ok(())
        })
        .await
    }
}

/// The key sealing self-contained tokens, made the first time the database is opened.
fn load_token_key(conn: &Connection) -> Result<TokenKey, StoreError> {
    conn.execute(
        "INSERT OR IGNORE INTO token_key (id, key) VALUES (1, ?1)",
        [TokenKey::generate().as_bytes().as_slice()],
    )
    .map_err(backend)?;
    let key: Vec<u8> = conn
        .query_row("SELECT key FROM token_key WHERE id = 1", [], |row| {
            row.get(0)
        })
        .map_err(backend)?;
    TokenKey::from_slice(&key).ok_or_else(|| backend("the stored token key is not 32 bytes"))
}

/// A `clients` row as `SELECT row_id, secret_hash, record, token_epoch` gives it.
struct ClientRow {
    row_id: i64,
    secret_hash: Vec<u8>,
    record: String,
    token_epoch: i64,
}

fn client_row(row: &Row<'_>) -> rusqlite::Result<ClientRow> {
    Ok(ClientRow {
        row_id: row.get(0)?,
        secret_hash: row.get(1)?,
        record: row.get(2)?,
        token_epoch: row.get(3)?,
    })
}

impl ClientRow {
    fn into_record(self) -> Result<ClientRecord, StoreError> {
        Ok(ClientRecord {
            client: client_from(self.row_id, &self.record)?,
            secret_hash: digest_from(&self.secret_hash)?,
            token_epoch: self.token_epoch,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        migrations().validate().unwrap();
    }

    #[test]
    fn only_sqlite_urls_are_accepted() {
        assert!(matches!(parse_url("sqlite::memory:"), Ok(Location::Memory)));
        assert!(
            matches!(parse_url("sqlite://a.db"), Ok(Location::File(p)) if p == std::path::Path::new("a.db"))
        );
        assert!(
            matches!(parse_url("sqlite:///tmp/a.db"), Ok(Location::File(p)) if p == std::path::Path::new("/tmp/a.db"))
        );
        assert!(parse_url("postgres://localhost/x").is_err());
        assert!(parse_url("sqlite://").is_err());
    }

    /// Under continuous writes a passive checkpoint never finds the log idle: without the
    /// checkpointer's restarts these 6,000 commits leave a WAL of about 80 MiB; with them, it
    /// holds what accumulates between two checkpoints (a few MiB; more on a busy machine).
    #[tokio::test]
    async fn under_continuous_writes_the_log_is_restarted_not_grown() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal.db");
        let store =
            SqliteStore::open_restarting_at(&format!("sqlite://{}", path.display()), 64).unwrap();
        for i in 0..6_000 {
            if i % 250 == 0 {
                // A starved checkpointer (tests run side by side on few cores) would see the
                // WAL's high-water mark grow however well it restarts: give it its turns.
                tokio::time::sleep(CHECKPOINT_PAUSE + Duration::from_millis(10)).await;
            }
            store
                .write(move |conn| {
                    conn.execute(
                        "INSERT INTO clients (client_id, kind, secret_hash, record, created_at)
                         VALUES (?1, 'test', x'00', '{}', 0)",
                        [format!("client-{i}")],
                    )
                    .map(drop)
                    .map_err(backend)
                })
                .await
                .unwrap();
        }
        let wal = std::fs::metadata(path.with_extension("db-wal"))
            .unwrap()
            .len();
        assert!(wal < 32 << 20, "the WAL grew to {wal} bytes");
    }

    /// Tokens sealed before a restart must still open after it.
    #[tokio::test]
    async fn the_token_key_is_made_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("key.db").display());
        let first = SqliteStore::open(&url).unwrap().token_key().clone();
        let again = SqliteStore::open(&url).unwrap().token_key().clone();
        assert_eq!(first.as_bytes(), again.as_bytes());
        let elsewhere = SqliteStore::open("sqlite::memory:").unwrap();
        assert_ne!(first.as_bytes(), elsewhere.token_key().as_bytes());
    }

    fn client(id: &str) -> Client {
        serde_json::from_value(serde_json::json!({
            "client_id": id,
            "kind": "admin_api",
            "grants": ["client_credentials"],
            "resource_ids": [],
            "access_token_validity": 3600,
            "refresh_token_validity": 0,
            "created_at": 0,
            "updated_at": 0,
        }))
        .unwrap()
    }

    fn record(id: &str) -> ClientRecord {
        ClientRecord {
            client: client(id),
            secret_hash: Digest::of("secret"),
            token_epoch: 0,
        }
    }

    /// Whatever the cache held, an acknowledged edit, New Secret or deletion is what the next
    /// read sees.
    #[tokio::test]
    async fn a_client_read_after_a_change_sees_the_change() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("cache.db").display());
        let store = SqliteStore::open(&url).unwrap();
        let stored = store
            .insert_client(client("c"), Digest::of("one"))
            .await
            .unwrap();
        let first = store.client("c").await.unwrap().unwrap();
        assert!(store.clients.get("c").is_some(), "kept once read");

        let edited = Client {
            notes: Some("edited".to_owned()),
            ..stored.clone()
        };
        assert!(store.update_client(&edited).await.unwrap());
        let read = store.client("c").await.unwrap().unwrap();
        assert_eq!(read.client.notes.as_deref(), Some("edited"));

        assert!(
            store
                .replace_secret(stored.row_id, Digest::of("two"), true)
                .await
                .unwrap()
        );
        let read = store.client("c").await.unwrap().unwrap();
        assert!(read.secret_hash.matches(&Digest::of("two")));
        assert_eq!(read.token_epoch, first.token_epoch + 1);

        assert!(store.delete_client("c").await.unwrap());
        assert!(store.client("c").await.unwrap().is_none());
        assert!(store.clients.get("c").is_none(), "absent ids are not kept");
    }

    /// A read that took the old record before a change committed must not keep it after the
    /// change's reply: the generation it noted is gone.
    #[test]
    fn a_read_begun_before_a_change_is_not_kept_after_it() {
        let cache = ClientCache::default();
        let began = cache.generation();
        cache.invalidate();
        cache.fill("c".to_owned(), &record("c"), began);
        assert!(cache.get("c").is_none());

        let began = cache.generation();
        cache.fill("c".to_owned(), &record("c"), began);
        assert!(
            cache.get("c").is_some(),
            "a read begun after the change is kept"
        );
    }

    #[test]
    fn the_cache_keeps_a_bounded_number_of_clients() {
        let cache = ClientCache::default();
        let record = record("c");
        for i in 0..CACHED_CLIENTS + 10 {
            cache.fill(format!("c{i}"), &record, cache.generation());
        }
        assert_eq!(cache.entries().len(), CACHED_CLIENTS);
        assert!(cache.get(&format!("c{CACHED_CLIENTS}")).is_none());
    }

    /// A revocation is kept until the token it names has expired anyway, then purged.
    #[tokio::test]
    async fn revocations_of_self_contained_tokens_are_purged_once_expired() {
        let store = SqliteStore::open("sqlite::memory:").unwrap();
        let (expiring, lasting) = (Digest::of("expiring"), Digest::of("lasting"));
        store.revoke_self_contained(expiring, 100).await.unwrap();
        store.revoke_self_contained(lasting, 200).await.unwrap();
        store.revoke_self_contained(lasting, 200).await.unwrap();
        let count = || {
            store.write(|conn| {
                conn.query_row("SELECT count(*) FROM revoked_tokens", [], |row| {
                    row.get::<_, i64>(0)
                })
                .map_err(backend)
            })
        };
        assert_eq!(count().await.unwrap(), 2, "revoking twice keeps one row");
        assert_eq!(store.purge_expired(150).await.unwrap(), 1);
        assert_eq!(count().await.unwrap(), 1);
    }
}
