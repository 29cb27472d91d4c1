package dev.plumb.web.analysis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.web.analysis.LeakVerdict.Kind;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeploymentVerdictTest {
    static DeploymentVerdict.Host host(String name, double bytesOverWindow) {
        return new DeploymentVerdict.Host(name, name.hashCode(), LeakVerdictTest.series(x -> bytesOverWindow * x));
    }

    static DeploymentVerdict.Host flatHost(String name) {
        return new DeploymentVerdict.Host(name, name.hashCode(), LeakVerdictTest.series(x -> 5_000_000));
    }

    @Test
    void hostsLeakingAlikeMakeALinearDeploymentWithNobodyFlagged() {
        DeploymentVerdict d = DeploymentVerdict.of(List.of(host("a", 6_000_000), host("b", 6_300_000),
                host("c", 5_800_000)));
        assertThat(d.kind()).isEqualTo(Kind.LINEAR);
        assertThat(d.medianSlope()).isCloseTo(10_000, org.assertj.core.data.Offset.offset(1.0));
        assertThat(d.totalSlope()).isCloseTo(30_166, org.assertj.core.data.Offset.offset(5.0));
        assertThat(d.hosts()).noneMatch(DeploymentVerdict.Host::deviates);
    }

    @Test
    void aHostLeakingMuchFasterOrNotAtAllIsFlagged() {
        DeploymentVerdict d = DeploymentVerdict.of(List.of(host("a", 6_000_000), host("b", 6_000_000),
                host("fast", 30_000_000), flatHost("quiet")));
        assertThat(d.kind()).isEqualTo(Kind.LINEAR);
        assertThat(d.hosts()).filteredOn(DeploymentVerdict.Host::deviates).extracting(DeploymentVerdict.Host::host)
                .containsExactlyInAnyOrder("fast", "quiet");
    }

    @Test
    void aTieGoesToTheMoreSeriousKindAndNoHostsIsNoise() {
        assertThat(DeploymentVerdict.of(List.of(host("a", 6_000_000), flatHost("b"))).kind()).isEqualTo(Kind.LINEAR);
        assertThat(DeploymentVerdict.of(List.of()).kind()).isEqualTo(Kind.NOISE);
    }

    @Test
    void aSingleHostNeverDeviatesFromItself() {
        assertThat(DeploymentVerdict.of(List.of(flatHost("only"))).hosts().get(0).deviates()).isFalse();
    }
}
