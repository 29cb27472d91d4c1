package dev.plumb.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The Dockerfile without a Docker daemon: its stages, what it copies, what it exposes. */
class DockerfileTest {
    static final Map<String, DockerfileStages.Stage> stages = DockerfileStages.parse(Repo.read("Dockerfile"));

    @Test
    void everyRoleHasATarget() {
        assertThat(stages).containsKeys("build", "runtime", "gatherer", "web", "agent", "leaky-demo");
    }

    @Test
    void baseImagesAreOfficialImagesOrEarlierStages() {
        Set<String> known = new HashSet<>(PublicImages.ALLOWED);
        known.addAll(stages.keySet());
        stages.values().forEach(stage -> assertThat(stage.from()).as("FROM of stage %s", stage.name()).isIn(known));
    }

    @Test
    void everyCopiedSourceExistsInTheRepository() {
        stages.values().forEach(stage -> stage.contextSources().forEach(source ->
                assertThat(Files.exists(Repo.file(source))).as("COPY %s in stage %s", source, stage.name()).isTrue()));
    }

    @Test
    void rolesExposeThePortsTheyListenOn() {
        assertThat(DockerfileStages.exposed(stages, "gatherer")).containsExactlyInAnyOrder(
                AppSettings.defaultPort("gatherer", "--gatherer-port"), AppSettings.defaultPort("gatherer", "--http-port"));
        assertThat(DockerfileStages.exposed(stages, "web")).containsExactly(AppSettings.defaultPort("web", "--web-port"));
    }

    @Test
    void theAgentImageCarriesTheCaptureLibraryAndItsInstaller() {
        assertThat(stages.get("agent").copiedTo()).contains("/opt/plumb/lib/libplumb.so", "/opt/plumb/bin/install-agent");
        assertThat(stages.get("leaky-demo").from()).isEqualTo("agent");
        assertThat(stages.get("leaky-demo").copiedTo()).contains("/opt/plumb/leaky");
    }

    @Test
    void launcherScriptsAreExecutable() {
        for (String script : new String[] {"docker/plumb", "docker/install-agent"}) {
            assertThat(Files.isExecutable(Repo.file(script))).as(script).isTrue();
        }
    }
}
