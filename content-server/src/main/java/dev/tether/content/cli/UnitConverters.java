package dev.tether.content.cli;

import dev.tether.units.ByteQuantity;
import dev.tether.units.GoDuration;
import java.time.Duration;
import picocli.CommandLine;

/**
 * Option value converters with Kubernetes' rules ({@link ByteQuantity}, {@link GoDuration}), so a value reads the same
 * in a NodeProfile and on this command line: sizes like {@code 200Gi} or {@code 200G} (decimal), durations like
 * {@code 30s}, {@code 500ms} or {@code 1h30m}.
 */
final class UnitConverters {
    private UnitConverters() {
    }

    static final class ByteSize implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            try {
                return ByteQuantity.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    static final class Time implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            Duration duration;
            try {
                duration = GoDuration.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
            if (duration.isNegative()) {
                throw new CommandLine.TypeConversionException("'" + value + "' is negative; a timeout is not");
            }
            return duration;
        }
    }
}
