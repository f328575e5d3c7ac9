// Decodes wijkhub messages with Apache Avro for Java, knowing only the published .avsc files.
// Usage: java -cp <avro classpath> DecodeCheck.java <schemas/avro dir> <messages file>
// The messages file has one hex-encoded Kafka value per line. For each .avsc this prints
// "fingerprint <path> <hex little-endian>", and for each message "record <json>".
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;

public class DecodeCheck {
  public static void main(String[] args) throws Exception {
    BinaryMessageDecoder<GenericRecord> decoder =
        new BinaryMessageDecoder<>(GenericData.get(), null);
    List<Path> files;
    try (Stream<Path> walk = Files.walk(Path.of(args[0]))) {
      files = walk.filter(p -> p.toString().endsWith(".avsc")).sorted().toList();
    }
    for (Path file : files) {
      Schema schema = new Schema.Parser().parse(file.toFile());
      decoder.addSchema(schema);
      long fp = SchemaNormalization.parsingFingerprint64(schema);
      byte[] le = ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(fp).array();
      System.out.println("fingerprint " + file + " " + HexFormat.of().formatHex(le));
    }
    for (String line : Files.readAllLines(Path.of(args[1]))) {
      if (line.isBlank()) continue;
      GenericRecord record = decoder.decode(HexFormat.of().parseHex(line.strip()));
      System.out.println("record " + record);
    }
  }
}
