package dev.tether.agent.persistence;

import java.io.IOException;

/** The archive the operator served is not this node's newest, intact archive: nothing of it is restored. */
public final class ArchiveRefusedException extends IOException {
    public ArchiveRefusedException(String why) {
        super(why);
    }
}
