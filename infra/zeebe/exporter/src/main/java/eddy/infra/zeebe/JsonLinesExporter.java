package eddy.infra.zeebe;

import io.camunda.zeebe.exporter.api.Exporter;
import io.camunda.zeebe.exporter.api.context.Context;
import io.camunda.zeebe.exporter.api.context.Controller;
import io.camunda.zeebe.protocol.record.Record;
import io.camunda.zeebe.protocol.record.RecordType;
import io.camunda.zeebe.protocol.record.ValueType;
import io.camunda.zeebe.protocol.record.intent.Intent;
import io.camunda.zeebe.protocol.record.intent.ProcessInstanceIntent;
import io.camunda.zeebe.protocol.record.intent.UserTaskIntent;
import io.camunda.zeebe.protocol.record.value.BpmnElementType;
import io.camunda.zeebe.protocol.record.value.ProcessInstanceRecordValue;
import io.camunda.zeebe.protocol.record.value.UserTaskRecordValue;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;

/**
 * Appends the user-task lifecycle and the process instances' own lifecycle of a Zeebe broker to a
 * JSON-lines file, one event per line, in log order.
 *
 * <p>Why: Camunda 8.6 serves no user-task search without Elasticsearch, and Maven Central holds no
 * later distribution; the broker's exporter API is the supported way to see what the engine did.
 *
 * <p>Configuration (zeebe.broker.exporters.eddy.args): {@code path}, the file to append to (its folder
 * is created). Exported events:
 *
 * <ul>
 *   <li>{@code USER_TASK}: CREATED, ASSIGNED, UPDATED, COMPLETED, CANCELED, MIGRATED;
 *   <li>{@code PROCESS_INSTANCE} of the process element itself: ELEMENT_ACTIVATED, ELEMENT_COMPLETED,
 *       ELEMENT_TERMINATED.
 * </ul>
 *
 * <p>Keys are written as JSON strings (they are 64-bit and do not fit a JavaScript number), positions
 * and timestamps as numbers, absent optional strings as null. After a broker restart the events after
 * the last acknowledged position are written again: readers dedupe by {@code partitionId} and
 * {@code position}.
 */
public final class JsonLinesExporter implements Exporter {

  private static final Set<UserTaskIntent> USER_TASK_INTENTS =
      EnumSet.of(
          UserTaskIntent.CREATED,
          UserTaskIntent.ASSIGNED,
          UserTaskIntent.UPDATED,
          UserTaskIntent.COMPLETED,
          UserTaskIntent.CANCELED,
          UserTaskIntent.MIGRATED);
  private static final Set<ProcessInstanceIntent> PROCESS_INTENTS =
      EnumSet.of(
          ProcessInstanceIntent.ELEMENT_ACTIVATED,
          ProcessInstanceIntent.ELEMENT_COMPLETED,
          ProcessInstanceIntent.ELEMENT_TERMINATED);
  /** Partitions have one exporter instance each; they share the file, so lines must not interleave. */
  private static final Object FILE_LOCK = new Object();

  private Path path;
  private Logger logger;
  private Controller controller;
  private OutputStream out;

  @Override
  public void configure(final Context context) {
    logger = context.getLogger();
    final Object configured = context.getConfiguration().getArguments().get("path");
    if (!(configured instanceof String value) || value.isBlank()) {
      throw new IllegalArgumentException(
          "EDDY-EXPORTER-001 zeebe.broker.exporters."
              + context.getConfiguration().getId()
              + ".args.path must name the JSON-lines file to write");
    }
    path = Path.of(value);
    context.setFilter(
        new Context.RecordFilter() {
          @Override
          public boolean acceptType(final RecordType recordType) {
            return recordType == RecordType.EVENT;
          }

          @Override
          public boolean acceptValue(final ValueType valueType) {
            return valueType == ValueType.USER_TASK || valueType == ValueType.PROCESS_INSTANCE;
          }
        });
  }

  @Override
  public void open(final Controller controller) {
    this.controller = controller;
    try {
      final Path folder = path.toAbsolutePath().getParent();
      if (folder != null) {
        Files.createDirectories(folder);
      }
      out = new FileOutputStream(path.toFile(), true);
    } catch (final IOException e) {
      throw new UncheckedIOException("EDDY-EXPORTER-002 cannot open " + path + " for appending", e);
    }
    logger.info("EDDY-EXPORTER-003 writing user-task and process events to {}", path);
  }

  @Override
  public void close() {
    if (out == null) {
      return;
    }
    try {
      out.close();
    } catch (final IOException e) {
      logger.warn("EDDY-EXPORTER-004 closing {} failed", path, e);
    }
    out = null;
  }

  @Override
  public void export(final Record<?> record) {
    final String line = toJsonLine(record);
    if (line != null) {
      final byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
      try {
        synchronized (FILE_LOCK) {
          out.write(bytes);
          out.flush();
        }
      } catch (final IOException e) {
        // Thrown on, the broker retries this record, so no event is lost to a transient error.
        throw new UncheckedIOException("EDDY-EXPORTER-005 cannot append to " + path, e);
      }
    }
    // Acknowledged only after the line is written: the broker may then compact its log up to here.
    controller.updateLastExportedRecordPosition(record.getPosition());
  }

  /** The event as one JSON line (ending in a newline), or null when it is not one to export. */
  static String toJsonLine(final Record<?> record) {
    if (record.getRecordType() != RecordType.EVENT) {
      return null;
    }
    final Intent intent = record.getIntent();
    final Json json = new Json();
    json.begin();
    json.field("partitionId", record.getPartitionId());
    json.field("position", record.getPosition());
    json.field("timestamp", record.getTimestamp());
    json.field("valueType", record.getValueType().name());
    json.field("intent", intent.name());
    json.field("key", Long.toString(record.getKey()));
    if (record.getValue() instanceof UserTaskRecordValue task
        && intent instanceof UserTaskIntent taskIntent
        && USER_TASK_INTENTS.contains(taskIntent)) {
      writeUserTask(json, task);
    } else if (record.getValue() instanceof ProcessInstanceRecordValue element
        && intent instanceof ProcessInstanceIntent elementIntent
        && PROCESS_INTENTS.contains(elementIntent)
        && element.getBpmnElementType() == BpmnElementType.PROCESS) {
      writeProcessInstance(json, element);
    } else {
      return null;
    }
    json.end();
    return json.toString() + "\n";
  }

  private static void writeUserTask(final Json json, final UserTaskRecordValue task) {
    json.field("userTaskKey", Long.toString(task.getUserTaskKey()));
    json.field("processInstanceKey", Long.toString(task.getProcessInstanceKey()));
    json.field("processDefinitionKey", Long.toString(task.getProcessDefinitionKey()));
    json.field("bpmnProcessId", task.getBpmnProcessId());
    json.field("processDefinitionVersion", task.getProcessDefinitionVersion());
    json.field("elementId", task.getElementId());
    json.field("elementInstanceKey", Long.toString(task.getElementInstanceKey()));
    json.field("tenantId", task.getTenantId());
    json.field("assignee", blankToNull(task.getAssignee()));
    json.field("candidateGroups", task.getCandidateGroupsList());
    json.field("candidateUsers", task.getCandidateUsersList());
    json.field("dueDate", blankToNull(task.getDueDate()));
    json.field("followUpDate", blankToNull(task.getFollowUpDate()));
    // -1 means no Camunda form; an external reference is the model's own form key.
    json.field("formKey", task.getFormKey() < 0 ? null : Long.toString(task.getFormKey()));
    json.field("externalFormReference", blankToNull(task.getExternalFormReference()));
    json.field("priority", task.getPriority());
    json.field("customHeaders", task.getCustomHeaders());
    json.field("variables", task.getVariables());
    json.field("changedAttributes", task.getChangedAttributes());
    json.field("action", blankToNull(task.getAction()));
    json.field("creationTimestamp", task.getCreationTimestamp());
  }

  private static void writeProcessInstance(final Json json, final ProcessInstanceRecordValue element) {
    json.field("processInstanceKey", Long.toString(element.getProcessInstanceKey()));
    json.field("processDefinitionKey", Long.toString(element.getProcessDefinitionKey()));
    json.field("bpmnProcessId", element.getBpmnProcessId());
    json.field("processDefinitionVersion", element.getVersion());
    json.field("elementId", element.getElementId());
    json.field("bpmnElementType", element.getBpmnElementType().name());
    json.field("tenantId", element.getTenantId());
    json.field(
        "parentProcessInstanceKey",
        element.getParentProcessInstanceKey() < 0
            ? null
            : Long.toString(element.getParentProcessInstanceKey()));
  }

  private static String blankToNull(final String value) {
    return value == null || value.isEmpty() ? null : value;
  }

  /** A minimal JSON writer: the broker's Jackson is not visible to exporters loaded from a jar. */
  static final class Json {
    private final StringBuilder text = new StringBuilder(512);
    private boolean first = true;

    void begin() {
      text.append('{');
      first = true;
    }

    void end() {
      text.append('}');
    }

    void field(final String name, final Object value) {
      if (!first) {
        text.append(',');
      }
      first = false;
      string(name);
      text.append(':');
      value(value);
    }

    private void value(final Object value) {
      if (value == null) {
        text.append("null");
      } else if (value instanceof String s) {
        string(s);
      } else if (value instanceof Boolean b) {
        text.append(b);
      } else if (value instanceof Double d && !Double.isFinite(d)
          || value instanceof Float f && !Float.isFinite(f)) {
        text.append("null");
      } else if (value instanceof Number n) {
        text.append(n);
      } else if (value instanceof Map<?, ?> map) {
        text.append('{');
        boolean firstEntry = true;
        for (final Map.Entry<?, ?> entry : map.entrySet()) {
          if (!firstEntry) {
            text.append(',');
          }
          firstEntry = false;
          string(String.valueOf(entry.getKey()));
          text.append(':');
          value(entry.getValue());
        }
        text.append('}');
      } else if (value instanceof Iterable<?> items) {
        text.append('[');
        boolean firstItem = true;
        for (final Object item : items) {
          if (!firstItem) {
            text.append(',');
          }
          firstItem = false;
          value(item);
        }
        text.append(']');
      } else {
        string(value.toString());
      }
    }

    private void string(final String s) {
      text.append('"');
      for (int i = 0; i < s.length(); i++) {
        final char c = s.charAt(i);
        switch (c) {
          case '"' -> text.append("\\\"");
          case '\\' -> text.append("\\\\");
          case '\n' -> text.append("\\n");
          case '\r' -> text.append("\\r");
          case '\t' -> text.append("\\t");
          default -> {
            if (c < 0x20 || c == '\u2028' || c == '\u2029') {
              text.append(String.format("\\u%04x", (int) c));
            } else {
              text.append(c);
            }
          }
        }
      }
      text.append('"');
    }

    @Override
    public String toString() {
      return text.toString();
    }
  }
}
