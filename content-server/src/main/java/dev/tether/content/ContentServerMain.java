package dev.tether.content;

import dev.tether.content.cli.ContentServerCli;

/** {@code content-server origin …} or {@code content-server edge …}. */
public final class ContentServerMain {
    private ContentServerMain() {
    }

    public static void main(String[] args) {
        System.exit(ContentServerCli.run(args, System.err));
    }
}
