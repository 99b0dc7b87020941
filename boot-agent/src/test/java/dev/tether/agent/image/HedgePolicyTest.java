package dev.tether.agent.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class HedgePolicyTest {
    private static long ms(long millis) {
        return TimeUnit.MILLISECONDS.toNanos(millis);
    }

    private final HedgePolicy policy = new HedgePolicy(Duration.ofMillis(200), Duration.ofMillis(10), Duration.ofSeconds(1), 0.1);

    @Test
    void waitsTheInitialDelayUntilEnoughLatenciesAreKnown() {
        for (int i = 0; i < HedgePolicy.MIN_SAMPLES - 1; i++) {
            policy.record(ms(1));
        }
        assertThat(policy.delayNanos()).isEqualTo(ms(200));
        assertThat(policy.shouldHedge(ms(199))).isFalse();
        assertThat(policy.shouldHedge(ms(200))).isTrue();
    }

    @Test
    void hedgesAfterTheNinetyFifthPercentileOfRecentLatencies() {
        for (int i = 1; i <= 100; i++) {
            policy.record(ms(i));
        }
        assertThat(policy.delayNanos()).isEqualTo(ms(95));
        assertThat(policy.shouldHedge(ms(94))).isFalse();
        assertThat(policy.shouldHedge(ms(95))).isTrue();
    }

    @Test
    void onlyTheRecentWindowCounts() {
        for (int i = 0; i < HedgePolicy.WINDOW; i++) {
            policy.record(ms(500));
        }
        for (int i = 0; i < HedgePolicy.WINDOW; i++) {
            policy.record(ms(40));
        }
        assertThat(policy.delayNanos()).isEqualTo(ms(40));
    }

    @Test
    void theDelayStaysWithinItsBounds() {
        for (int i = 0; i < 50; i++) {
            policy.record(TimeUnit.MICROSECONDS.toNanos(300));
        }
        assertThat(policy.delayNanos()).as("fast answers must not hedge everything").isEqualTo(ms(10));
        for (int i = 0; i < HedgePolicy.WINDOW; i++) {
            policy.record(ms(5000));
        }
        assertThat(policy.delayNanos()).as("a stall is always raced").isEqualTo(ms(1000));
    }

    @Test
    void hedgesArePaidFromABudgetOfATenthOfTheRequests() {
        int hedged = 0;
        for (int i = 0; i < 1000; i++) {
            policy.requested();
            // Every request is slow and wants a hedge, as in a storm.
            if (policy.spend()) {
                hedged++;
                policy.requested();
            }
        }
        // 1000 first requests and the hedges, each earning a tenth: at most the reserve plus a tenth of all.
        assertThat(hedged).isBetween(100, (int) HedgePolicy.RESERVE + (1000 + hedged) / 10);
    }

    @Test
    void aBudgetOfNothingNeverHedgesOnceTheReserveIsSpent() {
        HedgePolicy none = new HedgePolicy(Duration.ofMillis(200), Duration.ofMillis(10), Duration.ofSeconds(1), 0);
        int hedged = 0;
        for (int i = 0; i < 100; i++) {
            none.requested();
            hedged += none.spend() ? 1 : 0;
        }
        assertThat(hedged).isEqualTo((int) HedgePolicy.RESERVE);
    }
}
