package dev.tether.operator.nodeapi;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import org.slf4j.LoggerFactory;

/** Every line logged (at any level, by any logger) while it is open, with stack traces, for asserting on. */
final class CapturedLogs implements AutoCloseable {
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private final Logger tether = (Logger) LoggerFactory.getLogger("dev.tether");
    private final ch.qos.logback.classic.Level before = tether.getLevel();
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    CapturedLogs() {
        appender.start();
        root.addAppender(appender);
        // Tether's debug lines too: a secret must not be in any of them either.
        tether.setLevel(ch.qos.logback.classic.Level.DEBUG);
    }

    String text() {
        var text = new StringBuilder();
        for (ILoggingEvent event : appender.list.toArray(new ILoggingEvent[0])) {
            text.append(event.getLoggerName()).append(' ').append(event.getFormattedMessage()).append('\n');
            if (event.getThrowableProxy() != null) {
                text.append(ThrowableProxyUtil.asString(event.getThrowableProxy())).append('\n');
            }
        }
        return text.toString();
    }

    @Override
    public void close() {
        root.detachAppender(appender);
        tether.setLevel(before);
    }
}
