# The seed's bbsserver-v1.2 design for comparison: a thread per client, everything in memory,
# standard library only, on the same 4-byte big-endian length prefix. Prints its port.
import socket
import struct
import sys
import threading

dms = {}
msghistory = []
lock = threading.Lock()


def recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    return buf


def receive_message(conn):
    (length,) = struct.unpack(">I", recv_exact(conn, 4))
    return recv_exact(conn, length).decode("utf-8", "replace")


def send_message(conn, text):
    data = text.encode("utf-8")
    conn.sendall(struct.pack(">I", len(data)) + data)


def handle_user(conn, address):
    try:
        send_message(conn, "BBS Server 1.2")
        username = receive_message(conn)
        while True:
            msg = receive_message(conn)
            if msg == "quit":
                break
            elif msg == "dm":
                to = receive_message(conn)
                text = receive_message(conn)
                with lock:
                    dms.setdefault(to, []).append("{} {}".format(username, text))
            elif msg in ("listdm", "listdms"):
                with lock:
                    mine = list(dms.get(username, []))
                send_message(conn, str(len(mine)))
                for m in mine:
                    send_message(conn, m)
            elif msg == "unread":  # the bench's acknowledgement probe
                send_message(conn, "0")
            elif msg == "list":
                with lock:
                    posts = list(msghistory)
                send_message(conn, str(len(posts)))
                for m in posts:
                    send_message(conn, m)
            else:
                with lock:
                    msghistory.append("{} {}".format(username, msg))
    except (ConnectionError, OSError):
        pass
    finally:
        conn.close()


def main():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0))
    s.listen(1024)
    print(s.getsockname()[1], flush=True)
    while True:
        conn, address = s.accept()
        threading.Thread(target=handle_user, args=(conn, address), daemon=True).start()


if __name__ == "__main__":
    main()
