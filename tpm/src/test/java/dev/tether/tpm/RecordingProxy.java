package dev.tether.tpm;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * A TCP forwarder that keeps a copy of everything it forwards, both ways: the test's view of the "bus" between
 * the TSS and the TPM. Listens on a port pair (the swtpm TCTI uses port and port + 1) and forwards to another.
 */
final class RecordingProxy implements AutoCloseable {
    private final List<ServerSocket> servers = new ArrayList<>();
    private final List<Socket> sockets = new ArrayList<>();
    private final ByteArrayOutputStream seen = new ByteArrayOutputStream();
    private final int port;

    RecordingProxy(int targetPort) throws IOException {
        int p = 0;
        for (int attempt = 0; attempt < 50 && servers.isEmpty(); attempt++) {
            ServerSocket a = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
            try {
                ServerSocket b = new ServerSocket(a.getLocalPort() + 1, 5, InetAddress.getLoopbackAddress());
                servers.add(a);
                servers.add(b);
                p = a.getLocalPort();
            } catch (IOException taken) {
                a.close();
            }
        }
        if (servers.isEmpty()) {
            throw new IOException("No two consecutive free TCP ports");
        }
        port = p;
        accept(servers.get(0), targetPort);
        accept(servers.get(1), targetPort + 1);
    }

    int port() {
        return port;
    }

    synchronized byte[] seen() {
        return seen.toByteArray();
    }

    private void accept(ServerSocket server, int target) {
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                Socket client;
                try {
                    client = server.accept();
                } catch (IOException e) {
                    return; // closed
                }
                try {
                    Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target);
                    synchronized (this) {
                        sockets.add(client);
                        sockets.add(upstream);
                    }
                    pump(client.getInputStream(), upstream.getOutputStream());
                    pump(upstream.getInputStream(), client.getOutputStream());
                } catch (IOException e) {
                    // Refuse this one connection (the TSS sees an I/O error, never a hang) and keep serving.
                    System.err.println("proxy to port " + target + ": " + e);
                    try {
                        client.close();
                    } catch (IOException ignored) {
                        // nothing to do
                    }
                }
            }
        }, "proxy-accept-" + target);
        t.setDaemon(true);
        t.start();
    }

    private void pump(InputStream in, OutputStream out) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            try (in; out) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    synchronized (this) {
                        seen.write(buf, 0, n);
                    }
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // connection ended
            }
        }, "proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public synchronized void close() throws IOException {
        for (ServerSocket s : servers) {
            s.close();
        }
        for (Socket s : sockets) {
            s.close();
        }
    }
}
