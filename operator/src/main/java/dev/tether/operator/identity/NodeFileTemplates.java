package dev.tether.operator.identity;

import com.samskivert.mustache.BasicCollector;
import com.samskivert.mustache.Mustache;
import com.samskivert.mustache.MustacheException;
import com.samskivert.mustache.Template;
import dev.tether.nodeapi.NodeFileRules;
import java.io.Writer;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Renders a node file's Mustache template (JMustache) for one node, with what a NodeProfile author may not do taken
 * away: the template reads only the maps and lists of {@link NodeFileVariables} (no reflection, so no Java method is
 * ever called on a value), includes no other template, and is stopped when its output passes
 * {@link NodeFileRules#MAX_FILE_BYTES} or its sections iterate more than {@link #MAX_ITERATIONS} times in all (nested
 * sections over lists could otherwise multiply into hours of work with no output). Values are written as they are:
 * configuration files are not HTML. A variable the node does not have is an error, so a misspelt name never renders
 * as an empty string; a section over a missing value is skipped ({@code {{#labels.rack}}...{{/labels.rack}}}).
 */
final class NodeFileTemplates {
    /** Items all the sections of one rendering may visit. */
    static final int MAX_ITERATIONS = 100_000;

    private NodeFileTemplates() {
    }

    /** The rendered text, or a {@link RenderingFailed} with a message for the profile's status. */
    static String render(String template, Map<String, Object> variables) throws RenderingFailed {
        if (template.length() > NodeFileRules.MAX_FILE_BYTES) {
            throw new RenderingFailed("the template is larger than " + NodeFileRules.MAX_FILE_BYTES / 1024 + " KiB");
        }
        BoundedIterations collector = new BoundedIterations();
        Mustache.Compiler compiler = Mustache.compiler()
                .escapeHTML(false)
                .withCollector(collector)
                .withLoader(name -> {
                    throw new RenderingFailed("the template includes another ({{> " + name + "}}); node file templates"
                            + " cannot include templates");
                });
        BoundedOutput out = new BoundedOutput();
        try {
            Template compiled = compiler.compile(template);
            compiled.execute(variables, out);
        } catch (RenderingFailed e) {
            throw e;
        } catch (MustacheException e) {
            RenderingFailed cause = causeOf(e);
            if (cause != null) {
                throw cause;
            }
            throw new RenderingFailed(e.getMessage());
        } catch (RuntimeException e) {
            RenderingFailed cause = causeOf(e);
            throw cause != null ? cause : new RenderingFailed("the template cannot be rendered: " + e);
        }
        return out.text.toString();
    }

    private static RenderingFailed causeOf(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof RenderingFailed failed) {
                return failed;
            }
        }
        return null;
    }

    /** Why a template gave no file for a node: what a profile author reads in the status, then fixes. */
    static final class RenderingFailed extends RuntimeException {
        RenderingFailed(String message) {
            super(message, null, false, false);
        }
    }

    /** Maps and lists only (JMustache's reflection-free collector), with every section's items counted. */
    private static final class BoundedIterations extends BasicCollector {
        private int iterations;

        @Override
        public Iterator<?> toIterator(Object value) {
            Iterator<?> items = super.toIterator(value);
            if (items == null) {
                return null;
            }
            return new Iterator<Object>() {
                @Override
                public boolean hasNext() {
                    return items.hasNext();
                }

                @Override
                public Object next() {
                    if (++iterations > MAX_ITERATIONS) {
                        throw new RenderingFailed("the template's sections visit more than " + MAX_ITERATIONS + " items");
                    }
                    return items.next();
                }
            };
        }

        @Override
        public <K, V> Map<K, V> createFetcherCache() {
            return new ConcurrentHashMap<>();
        }
    }

    /** Collects the output, refusing to grow past a node file's limit. */
    private static final class BoundedOutput extends Writer {
        private final StringBuilder text = new StringBuilder();

        @Override
        public void write(char[] chars, int offset, int length) {
            if (text.length() + length > NodeFileRules.MAX_FILE_BYTES) {
                throw new RenderingFailed("the rendered file is larger than " + NodeFileRules.MAX_FILE_BYTES / 1024 + " KiB");
            }
            text.append(chars, offset, length);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
