package dev.plumb.deploy;

import java.util.Set;

/**
 * Images pulled from Docker Hub rather than built here. Official images only; the tests cannot
 * reach a registry, so this list is the reviewed set a new reference must be added to.
 */
final class PublicImages {
    static final Set<String> ALLOWED = Set.of("maven:3.9-eclipse-temurin-17", "eclipse-temurin:17-jre", "postgres:16");

    private PublicImages() {
    }
}
