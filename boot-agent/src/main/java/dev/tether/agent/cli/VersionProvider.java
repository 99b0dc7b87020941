package dev.tether.agent.cli;

import picocli.CommandLine;

/** The agent's version from its jar manifest, and the runtime it runs on. */
public final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String version = VersionProvider.class.getPackage().getImplementationVersion();
        return new String[] {"tether-agent " + (version == null ? "(development build)" : version)
                + " on Java " + Runtime.version()};
    }
}
