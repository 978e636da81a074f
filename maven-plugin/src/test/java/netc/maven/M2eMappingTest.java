package netc.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** The m2e mapping the plugin's jar carries covers every goal the plugin's descriptor declares, and runs them. */
class M2eMappingTest {
  @Test
  void everyGoalOfThePluginIsMappedToRun() throws Exception {
    List<String> goals = texts(read("/META-INF/maven/plugin.xml"), "mojo", "goal");
    assertFalse(goals.isEmpty(), "the descriptor maven-plugin-plugin wrote declares the goals");
    Document mapping = read("/META-INF/m2e/lifecycle-mapping-metadata.xml");
    assertEquals(goals, texts(mapping, "goals", "goal"), "each goal mapped, and no other");
    NodeList execute = mapping.getElementsByTagName("execute");
    assertEquals(1, execute.getLength(), "executed (not ignored: a project would never get its models in Eclipse)");
    assertEquals(List.of("false"), texts(mapping, "execute", "runOnIncremental"));
    assertEquals(List.of("true"), texts(mapping, "execute", "runOnConfiguration"));
  }

  private static Document read(String resource) throws Exception {
    try (InputStream in = CompileMojo.class.getResourceAsStream(resource)) {
      assertNotNull(in, resource + " on the plugin's class path");
      return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(in);
    }
  }

  /** The text of each {@code child} element directly under a {@code parent} element. */
  private static List<String> texts(Document d, String parent, String child) {
    List<String> out = new ArrayList<>();
    NodeList parents = d.getElementsByTagName(parent);
    for (int i = 0; i < parents.getLength(); i++) {
      for (org.w3c.dom.Node n = parents.item(i).getFirstChild(); n != null; n = n.getNextSibling()) {
        if (n instanceof Element e && e.getTagName().equals(child)) out.add(e.getTextContent().strip());
      }
    }
    return out;
  }
}
