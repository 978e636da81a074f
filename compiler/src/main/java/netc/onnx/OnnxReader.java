package netc.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import netc.ast.NetcException;
import netc.runtime.BadInputException;
import netc.runtime.io.FileOutput;

/**
 * Reads an ONNX model (a protobuf {@code ModelProto}) with protobuf-java's {@link CodedInputStream},
 * decoding by hand the messages netc needs, with the field numbers of onnx.proto written below.
 * Everything in the file is untrusted: every length is checked against the bytes that remain before
 * anything is allocated from it (CodedInputStream does so for the bytes it reads, this class for the
 * element counts of tensors), so a truncated or hostile file fails fast with one message naming the
 * file, the place and the problem. Constant nodes become initializers, so later stages see one kind
 * of constant.
 */
public final class OnnxReader {
  /** protobuf messages are limited to 2 GiB; larger models keep their weights as external data. */
  static final long MAX_MODEL_BYTES = netc.runtime.LargeArrays.MAX_ARRAY;
  /** A tensor's elements must fit one Java array. */
  static final long MAX_TENSOR_ELEMENTS = netc.runtime.LargeArrays.MAX_ARRAY;
  /**
   * Integer lists are capped as they arrive: a packed varint takes one byte of the file and eight of
   * memory, so a small file could otherwise ask for gigabytes. Dims: a network's tensors have four or five.
   */
  static final int MAX_RANK = 64;

  /**
   * The most nodes (Constant ones included), initializers, graph inputs and outputs, and a node's inputs and outputs,
   * a model may have: each costs a record of tens of bytes for two bytes of the file, so a 200 MB file of empty
   * graph inputs took 4-5 GB. Exported classifiers have hundreds to a few thousand nodes; netc compiles at most
   * 20,000 layers.
   */
  static final int MAX_NODES = 1_000_000, MAX_VALUES = 65_536;
  /** Values of an INTS attribute (pads, kernel shapes, a Constant's value_ints: a handful to thousands). */
  static final int MAX_ATTRIBUTE_INTS = 1 << 20;
  /** A tensor's integer values before its dims are read (writers put dims first; a scalar has none). */
  static final int MAX_INTS_BEFORE_DIMS = 1 << 20;
  /**
   * The most values of an integer tensor: netc reads them as shapes, indices, pads and bounds, a few dozen. Each
   * becomes a long (8 bytes from 1 of int8 data or of a varint): a 256 MB uint8 tensor was a 2 GiB array, and the
   * out-of-memory named no file.
   */
  static final int MAX_INTEGER_ELEMENTS = 1 << 20;

  /**
   * The most float16 or bfloat16 values a tensor may hold as int32_data: each is kept as its 2 bytes until the
   * tensor is read (each was a long, and a 256 MB file of them took 3 GiB of heap), then becomes a float; a tensor
   * that large is exported with raw_data, 2 bytes a value. The type and dims must come before the values, as ONNX's
   * serializers write them; otherwise integers' bound applies.
   */
  static final int MAX_HALF_FLOATS_AS_INTS = 1 << 28;
  /**
   * The most node inputs and outputs, and integer values (integer tensors, INTS attributes), of the whole model:
   * each is bounded per record above, but a file of many records within those bounds (a million nodes of 60,000
   * inputs each; hundreds of integer initializers of a million values) reached gigabytes, and the out-of-memory
   * named no file. Exported networks have thousands to hundreds of thousands of each. Not final: tests lower them.
   */
  static long maxModelValueNames = 1 << 22, maxModelIntegers = 1 << 24;

  /** The most external_data entries of a tensor (ONNX's are location, offset, length and checksum). */
  static final int MAX_EXTERNAL_ENTRIES = 64;
  /**
   * The versions of the default ONNX operator set the importer reads its operators by. Before 7 they
   * meant other things it does not read: Add, Sub, Mul and Div broadcast only with a broadcast
   * attribute, along the axes an axis attribute names (numpy's broadcasting from 7: another value where
   * the dims happen to fit both ways), BatchNormalization's is_test defaults to training mode,
   * Concat's axis defaults to 1, Cast's {@code to} is a string, Reshape's shape an attribute. 27 is the
   * newest version in ONNX's operator changelog (ONNX 1.22) checked against the operators the
   * importer reads: since 19 they changed in element types only (float8, int4, float4: refused as
   * tensors), but for Pad's wrap mode and AveragePool's dilations (refused) and Gelu (read). A later
   * version may define one of them anew, so it is refused until it has been checked.
   */
  static final long MIN_OPSET = 7, MAX_OPSET = 27;

  // ModelProto
  private static final int MODEL_IR_VERSION = 1, MODEL_GRAPH = 7, MODEL_OPSET_IMPORT = 8;
  // OperatorSetIdProto
  private static final int OPSET_DOMAIN = 1, OPSET_VERSION = 2;
  // GraphProto
  private static final int GRAPH_NODE = 1, GRAPH_INITIALIZER = 5, GRAPH_INPUT = 11, GRAPH_OUTPUT = 12,
      GRAPH_SPARSE_INITIALIZER = 15;
  // NodeProto
  private static final int NODE_INPUT = 1, NODE_OUTPUT = 2, NODE_NAME = 3, NODE_OP_TYPE = 4, NODE_ATTRIBUTE = 5,
      NODE_DOMAIN = 7;
  // AttributeProto
  private static final int ATTR_NAME = 1, ATTR_F = 2, ATTR_I = 3, ATTR_S = 4, ATTR_T = 5, ATTR_FLOATS = 7,
      ATTR_INTS = 8, ATTR_TYPE = 20;
  // TensorProto
  private static final int TENSOR_DIMS = 1, TENSOR_DATA_TYPE = 2, TENSOR_FLOAT_DATA = 4, TENSOR_INT32_DATA = 5,
      TENSOR_INT64_DATA = 7, TENSOR_NAME = 8, TENSOR_RAW_DATA = 9, TENSOR_DOUBLE_DATA = 10,
      TENSOR_UINT64_DATA = 11, TENSOR_EXTERNAL_DATA = 13, TENSOR_DATA_LOCATION = 14;
  private static final int LOCATION_EXTERNAL = 1;
  // StringStringEntryProto
  private static final int ENTRY_KEY = 1, ENTRY_VALUE = 2;
  // ValueInfoProto, TypeProto, TypeProto.Tensor, TensorShapeProto, TensorShapeProto.Dimension
  private static final int VALUE_NAME = 1, VALUE_TYPE = 2, TYPE_TENSOR = 1, TENSOR_TYPE_ELEM = 1,
      TENSOR_TYPE_SHAPE = 2, SHAPE_DIM = 1, DIM_VALUE = 1;
  // TensorProto.DataType
  public static final int FLOAT = 1, UINT8 = 2, INT8 = 3, UINT16 = 4, INT16 = 5, INT32 = 6, INT64 = 7, STRING = 8,
      BOOL = 9, FLOAT16 = 10, DOUBLE = 11, UINT32 = 12, UINT64 = 13, BFLOAT16 = 16;

  private final Path path;
  private final Path folder;
  private String where = "the model";
  /** The files read: the model (unless held in memory) and its external data files, in order. */
  private final java.util.Set<Path> files = new java.util.LinkedHashSet<>();

  private OnnxReader(Path path) {
    this.path = path;
    Path abs = path.toAbsolutePath().normalize();
    this.folder = abs.getParent() == null ? abs : abs.getParent();
  }

  /** Reads {@code path}, with external data from files in its folder. */
  public static OnnxModel read(Path path) {
    return read(path, Runtime.getRuntime().maxMemory());
  }

  /** {@link #read(Path)} in a JVM of {@code heap} bytes (a test's seam: a small heap without a large file). */
  static OnnxModel read(Path path, long heap) {
    OnnxReader reader = new OnnxReader(path);
    reader.heap = heap;
    return reader.readModel(reader.bytes());
  }

  /** Reads a model held in memory; external data would be looked for beside {@code path}. */
  public static OnnxModel read(Path path, byte[] bytes) {
    return new OnnxReader(path).readModel(bytes);
  }

  private byte[] bytes() {
    try {
      String problem = netc.runtime.io.RegularFile.problem(path);
      if (problem != null) throw fail("cannot read the model: " + problem);
      long size = Files.size(path);
      if (size > MAX_MODEL_BYTES) {
        throw fail(String.format(java.util.Locale.ROOT, "the model is %,d bytes; an ONNX file holds at most 2 GiB (larger models keep weights as external data)", size));
      }
      // the file's bytes and the float arrays its weights become, against the heap: read regardless, a model near
      // the heap's size ran out of memory with a message that named no file
      if (2 * size > heap) {
        throw fail(String.format(java.util.Locale.ROOT, "the model is %,d bytes; read and decoded, it takes about %,d bytes of heap, more than"
            + " this JVM's heap of %,d: %s", size, 2 * size, heap, netc.runtime.VmOptions.largerHeap(2 * size)));
      }
      externalBytesRead = 2 * size; // external data count on from what the file itself takes
      byte[] bytes = Files.readAllBytes(path);
      files.add(path);
      return bytes;
    } catch (IOException e) {
      throw fail("cannot read the model: " + FileOutput.reason(e)); // an AccessDeniedException's message is the path alone
    }
  }

  private OnnxModel readModel(byte[] bytes) {
    CodedInputStream in = CodedInputStream.newInstance(bytes);
    in.enableAliasing(true); // raw_data views the file's bytes instead of copying them
    try {
      return model(in);
    } catch (InvalidProtocolBufferException e) {
      throw fail("not an ONNX model, or truncated: in " + where + " at byte " + in.getTotalBytesRead() + ": " + shortMessage(e));
    } catch (IOException e) {
      throw fail("cannot read " + where + ": " + e.getMessage());
    }
  }

  /** protobuf's message, without its paragraph on what a truncation could mean. */
  private static String shortMessage(InvalidProtocolBufferException e) {
    String m = String.valueOf(e.getMessage());
    if (m.startsWith("While parsing a protocol message, the input ended unexpectedly")) return "the data ends inside a field, or a length in it is wrong";
    if (m.startsWith("CodedInputStream encountered an embedded string or message which claimed to have negative size")) return "a length is negative";
    return m;
  }

  // ---- messages ----------------------------------------------------------------------------------

  private OnnxModel model(CodedInputStream in) throws IOException {
    Graph graph = null;
    long opset = -1;
    boolean irVersion = false;
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case MODEL_IR_VERSION -> {
          expect(tag, WireFormat.WIRETYPE_VARINT, "ir_version");
          in.readInt64();
          irVersion = true;
        }
        case MODEL_GRAPH -> {
          expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED, "graph");
          where = "the graph";
          int old = in.pushLimit(length(in));
          // protobuf merges a message field that occurs twice: the second graph's nodes,
          // initializers, inputs and outputs follow the first's (what onnx.load reads)
          graph = graph(in, graph == null ? new Graph() : graph);
          in.popLimit(old);
          where = "the model"; // what follows the graph (torch writes opset_import there) is not in it
        }
        case MODEL_OPSET_IMPORT -> {
          expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED, "opset_import");
          where = "opset_import";
          int old = in.pushLimit(length(in));
          Long version = opset(in);
          if (version != null) { // the default operator set's (null: another domain's)
            long v = version;
            // two versions of the default operator set ("" and "ai.onnx" are one): the last won, where a reader taking
            // the first (OpenVINO) reads another version; refused, as ONNX's checker refuses a domain imported twice
            if (opset >= 0 && v != opset) {
              throw fail("opset_import names the default operator set twice, at versions " + opset + " and " + v + "; a model imports it once");
            }
            if (v < 0) throw fail("opset_import gives the default operator set a negative version, " + v);
            opset = v;
          }
          in.popLimit(old);
        }
        default -> skip(in, tag);
      }
    }
    if (!irVersion || graph == null) throw fail("not an ONNX model (no " + (irVersion ? "graph" : "ir_version") + ")");
    if (opset < 0) throw fail("the model imports no version of the default ONNX operator set (opset_import)");
    if (opset < MIN_OPSET || opset > MAX_OPSET) {
      throw fail("the model imports version " + opset + " of the default ONNX operator set (opset_import); netc reads versions " + MIN_OPSET
          + " to " + MAX_OPSET + (opset < MIN_OPSET ? " (before 7, Add, Sub, Mul and Div broadcast by attributes, and other operators' defaults differ): convert it"
              + " first (python3 -c \"import onnx, onnx.version_converter as v; onnx.save(v.convert_version(onnx.load('IN.onnx'), 13), 'OUT.onnx')\")"
              : " (a later version may define its operators anew; netc knows them up to " + MAX_OPSET + "): export it again at version "
                  + MAX_OPSET + " or earlier (torch.onnx.export's opset_version)"));
    }
    return new OnnxModel(path, opset, graph.nodes, graph.initializers, graph.inputs, graph.outputs, List.copyOf(files));
  }

  /** The version of the default domain ("" or "ai.onnx"), 0 where the entry gives none (protobuf's default), or null for another domain. */
  private Long opset(CodedInputStream in) throws IOException {
    String domain = "";
    long version = 0;
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case OPSET_DOMAIN -> domain = string(in, tag, "opset_import.domain");
        case OPSET_VERSION -> {
          expect(tag, WireFormat.WIRETYPE_VARINT, "opset_import.version");
          version = in.readInt64();
        }
        default -> skip(in, tag);
      }
    }
    return domain.isEmpty() || domain.equals("ai.onnx") ? Long.valueOf(version) : null; // a negative version as it is, for the caller to refuse
  }

  /** The parts of a GraphProto netc uses. */
  private static final class Graph {
    final List<OnnxNode> nodes = new ArrayList<>();
    final Map<String, OnnxTensor> initializers = new LinkedHashMap<>();
    final List<OnnxModel.ValueInfo> inputs = new ArrayList<>();
    final List<OnnxModel.ValueInfo> outputs = new ArrayList<>();
    /** Constant nodes' outputs (now initializers), and the nodes' names. */
    final Map<String, String> constants = new java.util.HashMap<>();
  }

  /** The graph's nodes read so far, for messages: the file's order, whatever each node becomes. */
  private int nodesRead;

  private Graph graph(CodedInputStream in, Graph g) throws IOException {
    where = "the graph";
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      int field = WireFormat.getTagFieldNumber(tag);
      if (field == GRAPH_SPARSE_INITIALIZER) throw fail("the graph has sparse initializers, which netc does not read");
      if (field != GRAPH_NODE && field != GRAPH_INITIALIZER && field != GRAPH_INPUT && field != GRAPH_OUTPUT) {
        skip(in, tag);
        continue;
      }
      expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED, "graph field " + field);
      int old = in.pushLimit(length(in));
      switch (field) {
        case GRAPH_NODE -> {
          where = "node " + ++nodesRead; // its place in the file, Constant nodes counted (they become initializers)
          if (nodesRead > MAX_NODES) throw fail("the graph has more than " + MAX_NODES + " nodes; netc compiles networks of thousands");
          OnnxNode node = node(in);
          if (node.opType().equals("Constant") && node.domain().isEmpty()) {
            constant(node, g.initializers);
            g.constants.put(node.outputs().get(0), node.name());
          }
          else g.nodes.add(node);
        }
        case GRAPH_INITIALIZER -> {
          where = "initializer " + (g.initializers.size() + 1);
          if (g.initializers.size() >= MAX_NODES) throw fail("the graph has more than " + MAX_NODES + " initializers");
          OnnxTensor t = tensor(in);
          if (g.initializers.put(t.name(), t) != null) {
            throw fail("tensor " + quote(t.name()) + " is given twice (two initializers, or a Constant node's output and an initializer);"
                + " in ONNX every tensor has one source");
          }
        }
        case GRAPH_INPUT -> {
          where = "graph input " + (g.inputs.size() + 1); // not the node or initializer read before it
          if (g.inputs.size() >= MAX_VALUES) throw fail("the graph has more than " + MAX_VALUES + " inputs");
          g.inputs.add(valueInfo(in));
        }
        default -> {
          where = "graph output " + (g.outputs.size() + 1);
          if (g.outputs.size() >= MAX_VALUES) throw fail("the graph has more than " + MAX_VALUES + " outputs");
          g.outputs.add(valueInfo(in));
        }
      }
      in.popLimit(old);
    }
    where = "the graph";
    for (OnnxModel.ValueInfo input : g.inputs) { // a node that writes a graph input is refused; a Constant became an initializer first
      String constant = g.constants.get(input.name());
      if (constant != null) {
        throw fail("Constant node " + quote(constant) + " writes the graph input " + quote(input.name()) + "; in ONNX every tensor has one source");
      }
    }
    return g;
  }

  /** The attributes a Constant node's value may be given by, and their types. */
  private static final List<Map.Entry<String, Integer>> CONSTANT_VALUES = List.of(Map.entry("value", OnnxAttribute.TENSOR),
      Map.entry("value_float", OnnxAttribute.FLOAT), Map.entry("value_floats", OnnxAttribute.FLOATS), Map.entry("value_int", OnnxAttribute.INT),
      Map.entry("value_ints", OnnxAttribute.INTS));

  /**
   * A Constant node's value, stored as an initializer under the node's output name. Each value
   * attribute must have its own type: a value_float written as an INT would read as 0 (a Clip's
   * bounds (0, 6) as (0, 0)), refused by name as the importer refuses other attributes of another type.
   */
  private void constant(OnnxNode node, Map<String, OnnxTensor> initializers) {
    if (node.outputs().size() != 1) throw fail("Constant node " + quote(node.name()) + " has " + node.outputs().size() + " outputs, expected 1");
    for (Map.Entry<String, Integer> e : CONSTANT_VALUES) OnnxImporter.typed(node, e.getKey(), e.getValue(), this::fail);
    // ONNX's Constant has exactly one value attribute; with two, value won silently where onnxruntime refuses the node
    List<String> given = node.attributes().keySet().stream().filter(k -> k.equals("sparse_value") || k.startsWith("value")).sorted().toList();
    if (given.size() > 1) throw fail("Constant node " + quote(node.name()) + " has " + given.size() + " values, " + given + "; ONNX's has one");
    String out = node.outputs().get(0);
    OnnxAttribute value = node.attribute("value");
    OnnxAttribute a;
    OnnxTensor t;
    if (value != null && value.t() != null) {
      OnnxTensor v = value.t();
      t = new OnnxTensor(out, v.dims(), v.dataType(), v.floats(), v.longs());
    } else if ((a = node.attribute("value_float")) != null) {
      t = new OnnxTensor(out, new long[0], FLOAT, new float[] {a.f()}, null);
    } else if ((a = node.attribute("value_floats")) != null && a.floats() != null) {
      t = new OnnxTensor(out, new long[] {a.floats().length}, FLOAT, a.floats(), null);
    } else if ((a = node.attribute("value_int")) != null) {
      t = new OnnxTensor(out, new long[0], INT64, null, new long[] {a.i()});
    } else if ((a = node.attribute("value_ints")) != null && a.ints() != null) {
      t = new OnnxTensor(out, new long[] {a.ints().length}, INT64, null, a.ints());
    } else {
      throw fail("Constant node " + quote(node.name()) + " has no value netc reads (value, value_float(s), value_int(s)); it has "
          + node.attributes().keySet());
    }
    if (initializers.put(out, t) != null) {
      throw fail("tensor " + quote(out) + " is given twice (a Constant node's output and an initializer or another Constant node);"
          + " in ONNX every tensor has one source");
    }
  }

  private OnnxNode node(CodedInputStream in) throws IOException {
    List<String> inputs = new ArrayList<>(), outputs = new ArrayList<>();
    String name = "", opType = null, domain = "";
    Map<String, OnnxAttribute> attributes = new LinkedHashMap<>();
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case NODE_INPUT -> {
          if (inputs.size() >= MAX_VALUES) throw fail(where + " has more than " + MAX_VALUES + " inputs");
          countValueName();
          inputs.add(string(in, tag, "node input"));
        }
        case NODE_OUTPUT -> {
          if (outputs.size() >= MAX_VALUES) throw fail(where + " has more than " + MAX_VALUES + " outputs");
          countValueName();
          outputs.add(string(in, tag, "node output"));
        }
        case NODE_NAME -> {
          name = string(in, tag, "node name");
          where = "node " + quote(name);
        }
        case NODE_OP_TYPE -> opType = string(in, tag, "op_type");
        case NODE_DOMAIN -> domain = string(in, tag, "node domain");
        case NODE_ATTRIBUTE -> {
          expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED, "attribute");
          // bounded as inputs are: 33 million 8-byte attributes (268 MB) took some 5 GB, an out-of-memory naming no file
          if (attributes.size() >= MAX_VALUES) throw fail(where + " has more than " + MAX_VALUES + " attributes");
          int old = in.pushLimit(length(in));
          String node = where; // a tensor attribute names itself while read; the node's later fields are the node's again
          OnnxAttribute a = attribute(in);
          where = node;
          in.popLimit(old);
          if (attributes.put(a.name(), a) != null) throw fail(where + " has attribute " + quote(a.name()) + " twice; ONNX gives each once");
        }
        default -> skip(in, tag);
      }
    }
    if (opType == null) throw fail(where + " has no op_type");
    if (domain.equals("ai.onnx")) domain = "";
    return new OnnxNode(name, opType, domain, inputs, outputs, attributes);
  }

  private OnnxAttribute attribute(CodedInputStream in) throws IOException {
    String name = "", s = null;
    int type = 0;
    float f = 0;
    long i = 0;
    OnnxTensor t = null;
    FloatList floats = null;
    LongList ints = null;
    boolean seenF = false, seenI = false;
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case ATTR_NAME -> name = string(in, tag, "attribute name");
        case ATTR_TYPE -> {
          expect(tag, WireFormat.WIRETYPE_VARINT, "attribute type");
          type = in.readEnum();
        }
        case ATTR_F -> {
          expect(tag, WireFormat.WIRETYPE_FIXED32, "attribute f");
          f = in.readFloat();
          seenF = true;
        }
        case ATTR_I -> {
          expect(tag, WireFormat.WIRETYPE_VARINT, "attribute i");
          i = in.readInt64();
          seenI = true;
        }
        case ATTR_S -> {
          expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED, "attribute s");
          s = bytes(in).toStringUtf8();
        }
        case ATTR_T -> {
          expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED, "attribute t");
          // protobuf merges a second t into the first (dims and values appended), which onnx.load and ONNX Runtime
          // read as one tensor; netc kept the second alone, a Constant of other values and shape, with no word
          if (t != null) throw fail("in " + where + ": attribute " + quote(name) + " gives its tensor t twice; a writer gives it once");
          int old = in.pushLimit(length(in));
          t = tensor(in);
          in.popLimit(old);
        }
        case ATTR_FLOATS -> floats = floats(in, tag, floats == null ? new FloatList() : floats);
        case ATTR_INTS -> {
          int before = size(ints);
          ints = varints(in, tag, ints == null ? new LongList() : ints, false, MAX_ATTRIBUTE_INTS, "ints");
          countIntegers(ints.size - before);
        }
        default -> skip(in, tag);
      }
    }
    if (type == 0) {
      // an untyped attribute (older writers): its type is the one field it fills; none or several leave it UNDEFINED,
      // which every reader of a typed value refuses
      boolean[] filled = {false, seenF, seenI, s != null, t != null, false, floats != null, ints != null};
      int found = 0;
      for (int k = 1; k < filled.length; k++) {
        if (filled[k]) {
          type = found == 0 ? k : 0;
          found++;
        }
      }
      if (found != 1) type = 0;
    } else {
      // a typed attribute holds its value in that type's field alone: LeakyRelu's alpha typed FLOAT with its value in i
      // was read as f = 0 (a ReLU), a transB typed INT with its value in f as 0; ONNX's checker refuses both
      String[] fields = {null, "f", "i", "s", "t", null, "floats", "ints"};
      boolean[] filled = {false, seenF, seenI, s != null, t != null, false, size(floats) > 0, size(ints) > 0};
      for (int k = 1; k < filled.length; k++) {
        if (filled[k] && k != type) {
          throw fail("in " + where + ": attribute " + quote(name) + " is typed " + OnnxAttribute.typeName(type) + " but holds a value in its field "
              + fields[k] + "; a typed attribute holds its value in that type's field alone");
        }
      }
    }
    return new OnnxAttribute(name, type, f, i, s, t, floats == null ? null : floats.toArray(), ints == null ? null : ints.toArray());
  }

  private OnnxModel.ValueInfo valueInfo(CodedInputStream in) throws IOException {
    String name = "";
    int elem = 0;
    LongList dims = new LongList();
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      int field = WireFormat.getTagFieldNumber(tag);
      if (field == VALUE_NAME) {
        name = string(in, tag, "value name");
      } else if (field == VALUE_TYPE && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
        int old = in.pushLimit(length(in));
        // a second type merges into the first, as protobuf merges a message field given twice: its elem_type, when it has one, wins
        int e = typeProto(in, dims);
        if (e != 0) elem = e;
        in.popLimit(old);
      } else {
        skip(in, tag);
      }
    }
    return new OnnxModel.ValueInfo(name, elem, dims.toArray());
  }

  /** TypeProto: the tensor's element type; its dims are added to {@code dims} (-1 for a symbol). */
  private int typeProto(CodedInputStream in, LongList dims) throws IOException {
    int elem = 0;
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      if (WireFormat.getTagFieldNumber(tag) != TYPE_TENSOR || WireFormat.getTagWireType(tag) != WireFormat.WIRETYPE_LENGTH_DELIMITED) {
        skip(in, tag);
        continue;
      }
      int old = in.pushLimit(length(in));
      for (int t = in.readTag(); t != 0; t = in.readTag()) {
        int field = WireFormat.getTagFieldNumber(t);
        if (field == TENSOR_TYPE_ELEM && WireFormat.getTagWireType(t) == WireFormat.WIRETYPE_VARINT) {
          elem = in.readEnum();
        } else if (field == TENSOR_TYPE_SHAPE && WireFormat.getTagWireType(t) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
          int shapeLimit = in.pushLimit(length(in));
          shape(in, dims);
          in.popLimit(shapeLimit);
        } else {
          skip(in, t);
        }
      }
      in.popLimit(old);
    }
    return elem;
  }

  private void shape(CodedInputStream in, LongList dims) throws IOException {
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      if (WireFormat.getTagFieldNumber(tag) != SHAPE_DIM || WireFormat.getTagWireType(tag) != WireFormat.WIRETYPE_LENGTH_DELIMITED) {
        skip(in, tag);
        continue;
      }
      int old = in.pushLimit(length(in));
      long value = -1;
      for (int t = in.readTag(); t != 0; t = in.readTag()) {
        if (WireFormat.getTagFieldNumber(t) == DIM_VALUE && WireFormat.getTagWireType(t) == WireFormat.WIRETYPE_VARINT) value = in.readInt64();
        else skip(in, t);
      }
      in.popLimit(old);
      addCapped(dims, value, MAX_RANK, "dims");
    }
  }

  // ---- tensors -----------------------------------------------------------------------------------

  /** The fields of a TensorProto as stored, before their values are decoded. */
  private static final class RawTensor {
    String name = "";
    int dataType;
    final LongList dims = new LongList();
    ByteString raw;
    FloatList floatData;
    LongList intData;
    /** float16 or bfloat16 bits from int32_data, kept apart from intData once the type says so (see {@link #MAX_HALF_FLOATS_AS_INTS}). */
    HalfList halfData;
    /** The field that held intData (int32_data, int64_data or uint64_data), -1 while none; two of them are refused. */
    int intField = -1;
    /** double_data, each value rounded to float as it arrives (netc computes in float32; only that rounding is ever used). */
    FloatList doubleData;
    final Map<String, String> external = new LinkedHashMap<>();
    boolean externalLocation;
  }

  private OnnxTensor tensor(CodedInputStream in) throws IOException {
    RawTensor r = new RawTensor();
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case TENSOR_DIMS -> varints(in, tag, r.dims, false, MAX_RANK, "dims");
        case TENSOR_DATA_TYPE -> {
          expect(tag, WireFormat.WIRETYPE_VARINT, "data_type");
          r.dataType = in.readInt32();
        }
        case TENSOR_NAME -> {
          r.name = string(in, tag, "tensor name");
          where = "tensor " + quote(r.name);
        }
        case TENSOR_RAW_DATA -> {
          expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED, "raw_data");
          r.raw = bytes(in);
        }
        case TENSOR_FLOAT_DATA -> r.floatData = floats(in, tag, r.floatData == null ? new FloatList() : r.floatData);
        case TENSOR_INT32_DATA, TENSOR_INT64_DATA, TENSOR_UINT64_DATA -> {
          int field = WireFormat.getTagFieldNumber(tag);
          if (r.intField >= 0 && r.intField != field) {
            throw fail("tensor " + quote(r.name) + " has integer values in both " + intFieldName(r.intField) + " and " + intFieldName(field)
                + "; ONNX keeps a tensor's values in one field");
          }
          r.intField = field;
          // float16 and bfloat16 values without raw_data are their bits in int32_data (onnx.helper.make_tensor, float16
          // converters): as many as the dims say, as a float tensor's; integers proper are shapes and indices, and few
          boolean halfFloats = field == TENSOR_INT32_DATA && (r.dataType == FLOAT16 || r.dataType == BFLOAT16) && r.intData == null
              || r.halfData != null;
          long dimsCount = r.dims.size > 0 ? elements(r.dims.toArray(), "tensor " + quote(r.name)) : -1;
          if (halfFloats) {
            r.halfData = halves(in, tag, r.halfData == null ? new HalfList() : r.halfData, dimsCount >= 0 ? Math.min(dimsCount, MAX_HALF_FLOATS_AS_INTS)
                : MAX_INTS_BEFORE_DIMS);
            continue;
          }
          int before = size(r.intData);
          r.intData = varints(in, tag, r.intData == null ? new LongList() : r.intData, field == TENSOR_INT32_DATA,
              dimsCount >= 0 ? Math.min(dimsCount, halfFloats ? MAX_HALF_FLOATS_AS_INTS : MAX_INTEGER_ELEMENTS) : MAX_INTS_BEFORE_DIMS,
              halfFloats ? "values" : "integer values");
          if (!halfFloats) countIntegers(r.intData.size - before); // a float16 tensor's bits are floats, counted as none
        }
        case TENSOR_DOUBLE_DATA -> r.doubleData = doubles(in, tag, r.doubleData == null ? new FloatList() : r.doubleData);
        case TENSOR_EXTERNAL_DATA -> {
          expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED, "external_data");
          if (r.external.size() >= MAX_EXTERNAL_ENTRIES) throw fail("tensor " + quote(r.name) + " has more than " + MAX_EXTERNAL_ENTRIES + " external_data entries");
          int old = in.pushLimit(length(in));
          entry(in, r.external);
          in.popLimit(old);
        }
        case TENSOR_DATA_LOCATION -> {
          expect(tag, WireFormat.WIRETYPE_VARINT, "data_location");
          r.externalLocation = in.readEnum() == LOCATION_EXTERNAL;
        }
        default -> skip(in, tag);
      }
    }
    return decode(r);
  }

  private void entry(CodedInputStream in, Map<String, String> into) throws IOException {
    String key = "", value = "";
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case ENTRY_KEY -> key = string(in, tag, "external_data key");
        case ENTRY_VALUE -> value = string(in, tag, "external_data value");
        default -> skip(in, tag);
      }
    }
    into.put(key, value);
  }

  private static String intFieldName(int field) {
    return field == TENSOR_INT32_DATA ? "int32_data" : field == TENSOR_INT64_DATA ? "int64_data" : "uint64_data";
  }

  /**
   * The tensor's values, after checking that its dims and its data agree and that the data is in one place:
   * raw_data, external data, or the typed field of its type. A tensor with two (raw_data and float_data, or
   * external data and raw_data) was read from the first found, the other never looked at; ONNX's checker
   * refuses it.
   */
  private OnnxTensor decode(RawTensor r) {
    String what = "tensor " + quote(r.name);
    long[] dims = r.dims.toArray();
    long count = elements(dims, what);
    List<String> sources = new ArrayList<>();
    if (r.externalLocation) sources.add("external data");
    if (r.raw != null) sources.add("raw_data");
    if (size(r.floatData) > 0) sources.add("float_data");
    if (size(r.doubleData) > 0) sources.add("double_data");
    if (size(r.intData) > 0 || r.halfData != null && r.halfData.size > 0) sources.add(intFieldName(r.intField));
    if (r.halfData != null && r.dataType != FLOAT16 && r.dataType != BFLOAT16) {
      throw fail(what + " holds float16 bits in int32_data, read as its data_type said, which then became " + typeName(r.dataType));
    }
    if (sources.size() > 1) throw fail(what + " has its data in both " + sources.get(0) + " and " + sources.get(1) + "; ONNX keeps it in one");
    int size = elementSize(r.dataType);
    if (size == 0) return new OnnxTensor(r.name, dims, r.dataType, null, null); // strings and the like: no values needed
    boolean floating = r.dataType == FLOAT || r.dataType == FLOAT16 || r.dataType == BFLOAT16 || r.dataType == DOUBLE;
    if (!floating && count > MAX_INTEGER_ELEMENTS) {
      throw fail(what + " holds " + count + " integers; netc reads integer tensors as shapes, indices and bounds, at most " + MAX_INTEGER_ELEMENTS);
    }
    if (!floating && size(r.intData) == 0) countIntegers(count); // raw_data or external: typed fields were counted as read
    if (count * size > MAX_MODEL_BYTES) throw fail(what + " has dims " + java.util.Arrays.toString(dims) + ": more than 2 GiB of data");
    ByteBuffer bytes = null;
    if (r.externalLocation) bytes = external(r, count * size, what);
    else if (r.raw != null) bytes = r.raw.asReadOnlyByteBuffer();
    if (bytes != null) {
      if (bytes.remaining() != count * size) {
        throw fail(what + " has " + bytes.remaining() + " bytes of data, but its dims " + java.util.Arrays.toString(dims) + " of "
            + typeName(r.dataType) + " need " + count * size);
      }
      return fromBytes(r, dims, bytes.order(ByteOrder.LITTLE_ENDIAN), (int) count);
    }
    return fromTyped(r, dims, (int) count, what);
  }

  /** The product of the dims, refused when a dim is negative or the product exceeds one array. */
  private long elements(long[] dims, String what) {
    long count = 1;
    for (long d : dims) {
      if (d < 0) throw fail(what + " has a negative dim " + d);
      // every dim, a later one after a 0 too (the product stays 0, but a dim read as an int would wrap)
      if (count == 0 && d > MAX_TENSOR_ELEMENTS) throw fail(what + " has dims " + java.util.Arrays.toString(dims) + ": a dim over " + MAX_TENSOR_ELEMENTS);
      if (d != 0 && count > MAX_TENSOR_ELEMENTS / d) {
        throw fail(what + " has dims " + java.util.Arrays.toString(dims) + ": more than " + MAX_TENSOR_ELEMENTS + " elements");
      }
      count *= d;
    }
    return count;
  }

  private OnnxTensor fromBytes(RawTensor r, long[] dims, ByteBuffer b, int count) {
    switch (r.dataType) {
      case FLOAT, FLOAT16, BFLOAT16, DOUBLE -> {
        float[] v = new float[count];
        for (int k = 0; k < count; k++) {
          v[k] = switch (r.dataType) {
            case FLOAT -> b.getFloat();
            case FLOAT16 -> halfToFloat(b.getShort());
            case BFLOAT16 -> Float.intBitsToFloat((b.getShort() & 0xffff) << 16);
            default -> (float) b.getDouble();
          };
        }
        return new OnnxTensor(r.name, dims, r.dataType, v, null);
      }
      default -> {
        long[] v = new long[count];
        for (int k = 0; k < count; k++) {
          v[k] = switch (r.dataType) {
            case INT64 -> b.getLong();
            case UINT64 -> { // past 2^63 - 1 a long is negative: refused, as the typed field refuses it
              long x = b.getLong();
              if (x < 0) throw fail("tensor " + quote(r.name) + " holds the uint64 " + Long.toUnsignedString(x) + ", past what netc reads (2^63 - 1)");
              yield x;
            }
            case INT32 -> b.getInt();
            case UINT32 -> b.getInt() & 0xffffffffL;
            case INT16 -> b.getShort();
            case UINT16 -> b.getShort() & 0xffff;
            case INT8 -> b.get();
            default -> b.get() & 0xff; // UINT8, BOOL
          };
        }
        return new OnnxTensor(r.name, dims, r.dataType, null, v);
      }
    }
  }

  private OnnxTensor fromTyped(RawTensor r, long[] dims, int count, String what) {
    boolean isFloat = r.dataType == FLOAT || r.dataType == DOUBLE || r.dataType == FLOAT16 || r.dataType == BFLOAT16;
    int present = r.dataType == FLOAT ? size(r.floatData) : r.dataType == DOUBLE ? size(r.doubleData)
        : r.halfData != null ? r.halfData.size : size(r.intData);
    if (present != count) {
      throw fail(what + " has " + present + " values, but its dims " + java.util.Arrays.toString(dims) + " hold " + count);
    }
    if (count > 0 && !isFloat || r.dataType == FLOAT16 || r.dataType == BFLOAT16) checkIntegerField(r, what);
    if (!isFloat) return new OnnxTensor(r.name, dims, r.dataType, null, count == 0 ? new long[0] : r.intData.toArray());
    float[] v = new float[count];
    for (int k = 0; k < count; k++) {
      v[k] = switch (r.dataType) {
        case FLOAT -> r.floatData.get(k);
        case DOUBLE -> r.doubleData.a[k];
        // int32_data holds the 16 bits
        case FLOAT16 -> halfToFloat((short) (r.halfData != null ? r.halfData.a[k] : r.intData.get(k)));
        default -> Float.intBitsToFloat(((r.halfData != null ? r.halfData.a[k] : (int) r.intData.get(k)) & 0xffff) << 16);
      };
    }
    return new OnnxTensor(r.name, dims, r.dataType, v, null);
  }

  /**
   * Integer values in the field ONNX gives their type (int32_data for the types of 32 bits and fewer and for
   * float16's and bfloat16's bits, int64_data for INT64, uint64_data for UINT32 and UINT64), each within the
   * type's range: an INT64 of 2^40 in int32_data was read as its low 32 bits, a BOOL of 7 or an INT8 of 1000 kept.
   */
  private void checkIntegerField(RawTensor r, String what) {
    if (size(r.intData) == 0) return;
    int expected = switch (r.dataType) {
      case INT64 -> TENSOR_INT64_DATA;
      case UINT32, UINT64 -> TENSOR_UINT64_DATA;
      default -> TENSOR_INT32_DATA;
    };
    if (r.intField != expected) {
      throw fail(what + " of " + typeName(r.dataType) + " has its values in " + intFieldName(r.intField) + "; ONNX keeps them in " + intFieldName(expected));
    }
    long lo, hi;
    switch (r.dataType) {
      case INT8 -> { lo = Byte.MIN_VALUE; hi = Byte.MAX_VALUE; }
      case UINT8 -> { lo = 0; hi = 255; }
      case BOOL -> { lo = 0; hi = 1; }
      case INT16 -> { lo = Short.MIN_VALUE; hi = Short.MAX_VALUE; }
      case UINT16, FLOAT16, BFLOAT16 -> { lo = 0; hi = 65535; }
      case UINT32 -> { lo = 0; hi = 0xffffffffL; }
      case UINT64 -> { lo = 0; hi = Long.MAX_VALUE; } // past 2^63 - 1 a long reads it negative
      default -> { return; }
    }
    for (int k = 0; k < r.intData.size; k++) {
      long v = r.intData.get(k);
      if (v < lo || v > hi) throw fail(what + " of " + typeName(r.dataType) + " has value " + (r.dataType == UINT64 ? Long.toUnsignedString(v) : v)
          + " at " + k + ", outside " + lo + " to " + hi);
    }
  }

  private static int size(FloatList l) {
    return l == null ? 0 : l.size;
  }

  private static int size(LongList l) {
    return l == null ? 0 : l.size;
  }

  /** Bytes read so far from each external data file. */
  private final Map<Path, Long> externalRead = new java.util.HashMap<>();

  /**
   * External data: {@code location} names a file relative to the model's folder, and must stay in
   * it (a model from elsewhere must not make netc read {@code /etc/shadow} into a weight); {@code
   * offset} and {@code length} must lie inside that file.
   */
  private ByteBuffer external(RawTensor r, long needed, String what) {
    String location = r.external.get("location");
    if (location == null || location.isEmpty()) throw fail(what + " is stored as external data but names no location");
    Path file;
    try {
      Path written = Path.of(location);
      if (written.isAbsolute() || location.startsWith("/") || location.startsWith("\\")) {
        throw fail(what + ": external data location " + quote(location) + " is an absolute path; it must be relative to the model's folder");
      }
      file = folder.resolve(written).normalize();
    } catch (InvalidPathException e) {
      throw fail(what + ": external data location " + quote(location) + " is not a valid path");
    }
    if (!file.startsWith(folder)) throw fail(what + ": external data location " + quote(location) + " leaves the model's folder");
    long offset = number(r.external, "offset", 0, what);
    try {
      if (!Files.exists(file)) {
        throw fail(what + ": external data file " + quote(location) + (Files.notExists(file) ? " not found beside the model"
            : ": cannot read it: " + FileOutput.unreachable(file)));
      }
      // a folder, a device (/dev/zero) or a pipe is there, not missing
      if (!Files.isRegularFile(file)) throw fail(what + ": external data " + quote(location) + " is not a regular file");
      Path real = file.toRealPath();
      if (!real.startsWith(folder.toRealPath())) {
        throw fail(what + ": external data location " + quote(location) + " leads out of the model's folder through a link");
      }
      // the checked file is the one read: by its real path, no link followed (one put there since the check would lead
      // anywhere), its size from the open file
      long fileSize;
      try (FileChannel ch = FileChannel.open(real, StandardOpenOption.READ, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        fileSize = ch.size();
      }
      long length = number(r.external, "length", Math.max(0, fileSize - offset), what);
      if (offset > fileSize || length > fileSize - offset) {
        throw fail(what + ": external data " + quote(location) + " offset " + offset + " length " + length + " lies beyond its end (" + fileSize + " bytes)");
      }
      if (length != needed) {
        throw fail(what + ": external data has " + length + " bytes, but its dims " + java.util.Arrays.toString(r.dims.toArray())
            + " of " + typeName(r.dataType) + " need " + needed);
      }
      // tensors of one file lie in regions of their own, so together they read it once at most: a model whose
      // tensors all name one region of a large file would otherwise demand that region's size many times over
      long read = externalRead.merge(real, length, Long::sum);
      if (read > fileSize) {
        throw fail(what + ": external data " + quote(location) + ": the tensors stored in it take " + read + " bytes of its " + fileSize
            + "; their regions overlap");
      }
      // the whole model's external data against the heap, as the arrays they become (a float16 value takes a float's 4
      // bytes, an integer a long's 8) and this tensor's bytes beside its array: regions of a large sparse file, each within
      // the bounds above, would otherwise be read until the JVM ran out of memory, with no file named
      int size = Math.max(1, elementSize(r.dataType));
      boolean floating = r.dataType == FLOAT || r.dataType == FLOAT16 || r.dataType == BFLOAT16 || r.dataType == DOUBLE;
      long decoded = length / size * (floating ? 4 : 8);
      externalBytesRead += decoded;
      if (externalBytesRead + length > heap) {
        throw fail(what + ": the model and its external data take " + (externalBytesRead + length) + " bytes of heap up to this tensor, more"
            + " than this JVM's heap of " + heap + ": " + netc.runtime.VmOptions.largerHeap(externalBytesRead + length));
      }
      files.add(file);
      ByteBuffer b = ByteBuffer.allocate((int) length); // == needed, checked below 2 GiB and inside the file
      try (FileChannel ch = FileChannel.open(real, StandardOpenOption.READ, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        if (ch.size() != fileSize) throw fail(what + ": external data file " + quote(location) + " changed while being read");
        while (b.hasRemaining()) {
          if (ch.read(b, offset + b.position()) < 0) throw fail(what + ": external data file " + quote(location) + " ended early");
        }
      }
      return b.flip();
    } catch (IOException e) {
      throw fail(what + ": cannot read external data " + quote(location) + ": " + FileOutput.reason(e));
    }
  }

  private long number(Map<String, String> entries, String key, long absent, String what) {
    String v = entries.get(key);
    if (v == null) return absent;
    try {
      long n = Long.parseLong(v.trim());
      if (n < 0) throw new NumberFormatException();
      return n;
    } catch (NumberFormatException e) {
      throw fail(what + ": external data " + key + " " + quote(v) + " is not a non-negative integer");
    }
  }

  /** Bytes per element, or 0 for types whose values netc never reads (strings, complex numbers). */
  private int elementSize(int type) {
    return switch (type) {
      case FLOAT, INT32, UINT32 -> 4;
      case DOUBLE, INT64, UINT64 -> 8;
      case FLOAT16, BFLOAT16, INT16, UINT16 -> 2;
      case INT8, UINT8, BOOL -> 1;
      default -> 0;
    };
  }

  // ---- wire-level helpers ------------------------------------------------------------------------

  private void expect(int tag, int wireType, String field) throws InvalidProtocolBufferException {
    if (WireFormat.getTagWireType(tag) != wireType) {
      throw new InvalidProtocolBufferException(field + " has wire type " + WireFormat.getTagWireType(tag) + ", expected " + wireType);
    }
  }

  private String string(CodedInputStream in, int tag, String field) throws IOException {
    expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED, field);
    ByteString b = bytes(in);
    if (!b.isValidUtf8()) throw new InvalidProtocolBufferException(field + " is not UTF-8");
    return b.toStringUtf8();
  }

  /**
   * The length of a length-delimited field. protobuf-java's {@code readRawVarint32} keeps the low 32 bits of a
   * longer varint, so a raw_data of 2^32 + 4 bytes was read as 4 and the file went on from there, where onnx.load
   * and ONNX Runtime (C++ protobuf) refuse it: a length is below 2 GiB, as the whole file is.
   */
  private static int length(CodedInputStream in) throws IOException {
    long n = in.readRawVarint64();
    if (n < 0 || n > Integer.MAX_VALUE) {
      throw new InvalidProtocolBufferException("a field's length is " + Long.toUnsignedString(n) + " bytes, past 2 GiB");
    }
    return (int) n;
  }

  /** A bytes field's value, its length read by {@link #length}; the bytes are checked against what remains before they are copied. */
  private static ByteString bytes(CodedInputStream in) throws IOException {
    return com.google.protobuf.UnsafeByteOperations.unsafeWrap(in.readRawBytes(length(in)));
  }

  /**
   * Skips a field netc does not use. Groups (deprecated, never in ONNX) are refused rather than
   * skipped: skipping nested groups recurses, and a file of nested group tags would exhaust the stack.
   */
  private void skip(CodedInputStream in, int tag) throws IOException {
    int type = WireFormat.getTagWireType(tag);
    if (type == WireFormat.WIRETYPE_START_GROUP || type == WireFormat.WIRETYPE_END_GROUP) {
      throw new InvalidProtocolBufferException("field " + WireFormat.getTagFieldNumber(tag) + " is a group, which ONNX never uses");
    }
    if (type == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
      in.skipRawBytes(length(in)); // skipField reads the length as readRawVarint32 does, its low 32 bits (see length)
      return;
    }
    if (!in.skipField(tag)) throw new InvalidProtocolBufferException("unexpected end-group tag");
  }

  /** A repeated float field, packed or not. */
  private FloatList floats(CodedInputStream in, int tag, FloatList into) throws IOException {
    if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_FIXED32) {
      into.add(in.readFloat());
      return into;
    }
    expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED, "repeated float");
    int length = length(in);
    if (length % 4 != 0) throw new InvalidProtocolBufferException("packed floats of " + length + " bytes, not a multiple of 4");
    int old = in.pushLimit(length); // checks the length against the bytes that remain
    while (in.getBytesUntilLimit() > 0) into.add(in.readFloat());
    in.popLimit(old);
    return into;
  }

  /** A repeated double field, packed or not, appended as floats (in amortized constant time a value, however the file splits it). */
  private FloatList doubles(CodedInputStream in, int tag, FloatList into) throws IOException {
    if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_FIXED64) {
      into.add((float) in.readDouble());
      return into;
    }
    expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED, "repeated double");
    int length = length(in);
    if (length % 8 != 0) throw new InvalidProtocolBufferException("packed doubles of " + length + " bytes, not a multiple of 8");
    int old = in.pushLimit(length);
    while (in.getBytesUntilLimit() > 0) into.add((float) in.readDouble());
    in.popLimit(old);
    return into;
  }

  /**
   * The node inputs and outputs and integer values read so far, against the whole model's bounds; and the
   * bytes of heap the model takes so far (the file's own bytes and their decoded weights, twice its size,
   * then each external tensor's array), against {@link #heap}.
   */
  private long valueNamesRead, integersRead, externalBytesRead;

  /** This JVM's maximum heap, or a test's ({@link #read(Path, long)}). */
  private long heap = Runtime.getRuntime().maxMemory();

  /** Counts one more node input or output against {@link #maxModelValueNames}. */
  private void countValueName() {
    if (++valueNamesRead > maxModelValueNames) {
      throw fail("the model's nodes name more than " + maxModelValueNames + " inputs and outputs in all (at " + where + "); networks name thousands");
    }
  }

  /** Counts {@code n} more integer values against {@link #maxModelIntegers}. */
  private void countIntegers(long n) {
    integersRead += n;
    if (integersRead > maxModelIntegers) {
      throw fail("the model holds more than " + maxModelIntegers + " integer values in all (tensors and attributes; at " + where
          + "); netc reads integers as shapes, indices and bounds");
    }
  }

  /**
   * A repeated varint field, packed or not; int32 values are sign-extended as protobuf writes them.
   * Refused past {@code max} values (see {@link #MAX_RANK}), before the list grows.
   */
  private LongList varints(CodedInputStream in, int tag, LongList into, boolean int32, long max, String what) throws IOException {
    eachVarint(in, tag, int32, v -> addCapped(into, v, max, what));
    return into;
  }

  /** float16 or bfloat16 bits as int32_data holds them, packed or not, each within 0 to 65535, refused past {@code max} values. */
  private HalfList halves(CodedInputStream in, int tag, HalfList into, long max) throws IOException {
    eachVarint(in, tag, true, v -> {
      if (v < 0 || v > 0xffff) throw fail("in " + where + ": a float16 or bfloat16 tensor has value " + v + " in int32_data at " + into.size + ", outside 0 to 65535");
      if (into.size >= max) throw fail("in " + where + ": more than " + max + " values");
      into.add((char) v);
    });
    return into;
  }

  /** Each value of a repeated varint field, packed (none too) or not; int32 values sign-extended as protobuf writes them. */
  private void eachVarint(CodedInputStream in, int tag, boolean int32, java.util.function.LongConsumer each) throws IOException {
    if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_VARINT) {
      each.accept(int32 ? in.readInt32() : in.readInt64());
      return;
    }
    expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED, "repeated integer");
    int old = in.pushLimit(length(in));
    while (in.getBytesUntilLimit() > 0) each.accept(int32 ? in.readInt32() : in.readInt64());
    in.popLimit(old);
  }

  private void addCapped(LongList into, long v, long max, String what) {
    if (into.size >= max) throw fail("in " + where + ": more than " + max + " " + what);
    into.add(v);
  }

  /** A growable float array: values arrive one by one, their count known only at the end. */
  private static final class FloatList {
    float[] a = new float[16];
    int size;

    void add(float v) {
      if (size == a.length) a = java.util.Arrays.copyOf(a, a.length * 2);
      a[size++] = v;
    }

    float get(int k) {
      return a[k];
    }

    float[] toArray() {
      return java.util.Arrays.copyOf(a, size);
    }
  }

  /** A growable long array. */
  private static final class LongList {
    long[] a = new long[16];
    int size;

    void add(long v) {
      if (size == a.length) a = java.util.Arrays.copyOf(a, a.length * 2);
      a[size++] = v;
    }

    long get(int k) {
      return a[k];
    }

    long[] toArray() {
      return java.util.Arrays.copyOf(a, size);
    }
  }

  /** 16-bit values as they arrive, 2 bytes each. */
  private static final class HalfList {
    char[] a = new char[16];
    int size;

    void add(char v) {
      if (size == a.length) a = java.util.Arrays.copyOf(a, a.length * 2);
      a[size++] = v;
    }
  }

  /** float16 as safetensors' F16 is read: one conversion for both formats. */
  static float halfToFloat(short h) {
    return netc.runtime.io.Safetensors.halfToFloat(h);
  }

  /** TensorProto.DataType's name. */
  static String typeName(int type) {
    return switch (type) {
      case FLOAT -> "float32";
      case UINT8 -> "uint8";
      case INT8 -> "int8";
      case UINT16 -> "uint16";
      case INT16 -> "int16";
      case INT32 -> "int32";
      case INT64 -> "int64";
      case STRING -> "string";
      case BOOL -> "bool";
      case FLOAT16 -> "float16";
      case DOUBLE -> "float64";
      case UINT32 -> "uint32";
      case UINT64 -> "uint64";
      case BFLOAT16 -> "bfloat16";
      default -> "data type " + type;
    };
  }

  /** A name from the file, quoted for a one-line message. */
  static String quote(String s) {
    return "'" + BadInputException.oneLine(s) + "'";
  }

  private NetcException fail(String problem) {
    return new NetcException(path + ": " + problem); // made one line, once, by NetcException
  }
}
