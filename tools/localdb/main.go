// Command localdb runs a local MongoDB-wire database for development and tests:
// FerretDB 1.24.2 (embedded, SQLite backend) behind a small wire-protocol proxy
// that lets one command run at a time.
//
// Why the proxy: FerretDB 1.x applies findAndModify/update filters in Go and then
// writes the document back by _id without re-checking the filter, so two racing
// conditional updates can both succeed. MongoDB guarantees single-document
// atomicity; serialising commands here gives the tests that same guarantee
// without bending the application code. Production uses a real MongoDB.
//
// Only commands that change data need that: reads (find, count, aggregate, ...)
// share the lock and run alongside one another, while a write runs alone; Go's
// RWMutex lets no new read in while a write waits, so writes are not starved.
// -parallel-reads=false serialises reads too (to measure what sharing gives).
//
// The process prints one JSON line {"uri": "..."} on stdout when it is ready and
// exits when stdin closes (its parent died), on SIGINT/SIGTERM, or on error.
package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "localdb:", err)
		os.Exit(1)
	}
}

func run() error {
	listen := flag.String("listen", "127.0.0.1:0", "TCP address the proxy listens on (port 0 picks a free port)")
	dataDir := flag.String("data", "", "directory for the SQLite files (required)")
	watchStdin := flag.Bool("watch-stdin", true, "exit when stdin reaches EOF")
	serialize := flag.Bool("serialize", true, "run one write at a time (false only to demonstrate FerretDB's lost updates)")
	parallelReads := flag.Bool("parallel-reads", true, "let reads run alongside each other (never alongside a write)")
	flag.Parse()

	if *dataDir == "" {
		return errors.New("-data is required: the directory where the SQLite files live")
	}
	absData, err := filepath.Abs(*dataDir)
	if err != nil {
		return err
	}
	// The database files are readable by this user only, also when the folder already existed.
	if err := os.MkdirAll(absData, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	if err := os.Chmod(absData, 0o700); err != nil {
		return fmt.Errorf("restrict data directory: %w", err)
	}

	// Unix socket paths are limited to ~108 bytes, so the socket lives in a short temp dir.
	sockDir, err := os.MkdirTemp("", "localdb")
	if err != nil {
		return err
	}
	defer os.RemoveAll(sockDir)
	sock := filepath.Join(sockDir, "ferretdb.sock")

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	db, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{Unix: sock},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + absData + "/",
	})
	if err != nil {
		return fmt.Errorf("start FerretDB: %w", err)
	}

	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer cancel()

	dbDone := make(chan struct{})
	go func() {
		defer close(dbDone)
		_ = db.Run(ctx)
	}()

	if err := waitForSocket(ctx, sock, 30*time.Second); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *listen, err)
	}

	ready, _ := json.Marshal(map[string]string{"uri": "mongodb://" + ln.Addr().String() + "/"})
	fmt.Println(string(ready))

	if *watchStdin {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			cancel()
		}()
	}

	p := &proxy{upstream: sock, serialize: *serialize, parallelReads: *parallelReads}
	p.serve(ctx, ln)

	cancel()
	<-dbDone
	return nil
}

func waitForSocket(ctx context.Context, path string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.Dial("unix", path)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("FerretDB did not open %s within %s: %w", path, timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// proxy forwards wire-protocol messages: one write at a time across all clients,
// reads alongside each other.
type proxy struct {
	upstream      string
	serialize     bool
	parallelReads bool
	mu            sync.RWMutex // held from sending a request until its reply is read: shared by reads, alone by anything else
}

// readCommands change nothing, so they may run alongside each other. Anything not
// listed (every write, and any command this list does not know) runs alone.
// aggregate is here for countDocuments; the project never aggregates into a
// collection ($out/$merge), which would make it a write.
var readCommands = map[string]bool{
	"find": true, "getMore": true, "count": true, "distinct": true, "aggregate": true,
	"listIndexes": true, "listCollections": true, "listDatabases": true, "ping": true,
	"hello": true, "isMaster": true, "ismaster": true, "buildInfo": true, "buildinfo": true,
	"serverStatus": true, "dbStats": true, "collStats": true, "getParameter": true,
	"connectionStatus": true, "endSessions": true, "killCursors": true,
}

// commandName returns the first key of an OP_MSG's body (section kind 0), which
// names the command, or "" when the message is not an OP_MSG or cannot be read.
func commandName(msg []byte) string {
	if len(msg) < 21 || binary.LittleEndian.Uint32(msg[12:16]) != opMsg {
		return ""
	}
	for i := 20; i < len(msg); {
		kind := msg[i]
		i++
		if i+4 > len(msg) {
			return ""
		}
		size := int(binary.LittleEndian.Uint32(msg[i : i+4]))
		if kind == 0 {
			// BSON document: int32 length, then elements (type byte, cstring key, value).
			start := i + 5
			if start > len(msg) {
				return ""
			}
			for end := start; end < len(msg) && end < i+size; end++ {
				if msg[end] == 0 {
					return string(msg[start:end])
				}
			}
			return ""
		}
		if size < 4 {
			return ""
		}
		i += size // kind 1: a document sequence, whose int32 size counts itself
	}
	return ""
}

// serve accepts clients until ctx is cancelled, then closes the listener and
// every open client connection and waits for their goroutines. Closing them is
// what makes shutdown prompt: a client that keeps an idle connection (a driver's
// pool does) would otherwise keep the process alive forever. Closing a client
// also ends its upstream connection, so FerretDB need not wait for it either.
func (p *proxy) serve(ctx context.Context, ln net.Listener) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex // guards conns
		conns = make(map[net.Conn]struct{})
	)
	stop := context.AfterFunc(ctx, func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for c := range conns {
			c.Close()
		}
	})
	defer stop()

	for {
		client, err := ln.Accept()
		if err != nil {
			break
		}
		mu.Lock()
		// Accepted just as shutdown began, after the open connections were closed.
		if ctx.Err() != nil {
			mu.Unlock()
			client.Close()
			break
		}
		conns[client] = struct{}{}
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				mu.Lock()
				delete(conns, client)
				mu.Unlock()
			}()
			p.handle(client)
		}()
	}
	wg.Wait()
}

const (
	opMsg            = 2013
	flagMoreToCome   = 1 << 1
	maxMessageLength = 48 * 1024 * 1024
)

func (p *proxy) handle(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("unix", p.upstream)
	if err != nil {
		return
	}
	defer server.Close()

	for {
		req, err := readMessage(client)
		if err != nil {
			return
		}
		if err := p.roundTrip(req, client, server); err != nil {
			return
		}
	}
}

// roundTrip sends one request and relays its reply (or replies, while the
// server sets moreToCome). Only the exchange with FerretDB holds the global
// lock; writing to the client happens after, so a client that stops reading
// cannot stall everyone else.
func (p *proxy) roundTrip(req []byte, client, server net.Conn) error {
	replies, err := p.exchange(req, server)
	if err != nil {
		return err
	}
	for _, reply := range replies {
		if _, err := client.Write(reply); err != nil {
			return err
		}
	}
	return nil
}

func (p *proxy) exchange(req []byte, server net.Conn) ([][]byte, error) {
	switch {
	case !p.serialize:
	case p.parallelReads && readCommands[commandName(req)]:
		p.mu.RLock()
		defer p.mu.RUnlock()
	default:
		p.mu.Lock()
		defer p.mu.Unlock()
	}
	if _, err := server.Write(req); err != nil {
		return nil, err
	}
	if expectsNoReply(req) {
		return nil, nil
	}
	var replies [][]byte
	for {
		reply, err := readMessage(server)
		if err != nil {
			return nil, err
		}
		replies = append(replies, reply)
		if !expectsNoReply(reply) {
			return replies, nil
		}
	}
}

// expectsNoReply reports whether an OP_MSG has the moreToCome flag: a request
// with it gets no reply; a reply with it is followed by another.
func expectsNoReply(msg []byte) bool {
	if len(msg) < 20 || binary.LittleEndian.Uint32(msg[12:16]) != opMsg {
		return false
	}
	return binary.LittleEndian.Uint32(msg[16:20])&flagMoreToCome != 0
}

func readMessage(r io.Reader) ([]byte, error) {
	var header [16]byte
	if _, err := io.ReadFull(r, header[:]); err != nil {
		return nil, err
	}
	length := binary.LittleEndian.Uint32(header[0:4])
	if length < 16 || length > maxMessageLength {
		return nil, fmt.Errorf("invalid message length %d", length)
	}
	msg := make([]byte, length)
	copy(msg, header[:])
	if _, err := io.ReadFull(r, msg[16:]); err != nil {
		return nil, err
	}
	return msg, nil
}
