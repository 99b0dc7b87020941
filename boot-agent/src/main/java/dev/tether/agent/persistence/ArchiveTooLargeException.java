package dev.tether.agent.persistence;

import java.io.IOException;

/** The kept paths do not fit the node's limit: nothing is uploaded, and the stored archive stays. */
public final class ArchiveTooLargeException extends IOException {
    public ArchiveTooLargeException(long limit) {
        super("the kept paths take more than this node's limit of " + limit + " bytes (spec.persistence.maxBytes); nothing"
                + " was saved and the previous archive stays: keep fewer or smaller paths, or raise the limit");
    }
}
