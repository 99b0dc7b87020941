package dev.tether.operator.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * Lets events through the appender whose {@code format} is the {@code selected} one (logback.xml sets it from
 * TETHER_LOG_FORMAT): logback resolves appender references before it substitutes variables, so the choice between
 * the text and the json appender is made here, with both attached.
 */
public final class SelectedFormat extends Filter<ILoggingEvent> {
    private String format;
    private String selected;

    public void setFormat(String format) {
        this.format = format;
    }

    public void setSelected(String selected) {
        this.selected = selected;
    }

    @Override
    public FilterReply decide(ILoggingEvent event) {
        return format != null && format.equalsIgnoreCase(selected == null ? "text" : selected.strip()) ? FilterReply.NEUTRAL : FilterReply.DENY;
    }
}
