import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.ServerVersion;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.util.concurrent.CountDownLatch;

/**
 * Starts mongo-java-server (in-memory backend) for Eddy's integration tests.
 *
 * <p>Usage: {@code java -cp <jars> MongoCompatibleServer.java <host> <port>}. The server reports
 * MongoDB 5.0 (wire version 13) because the Node.js driver 6 refuses servers older than 4.2, and
 * the oplog is on so that collection change streams (with resume tokens) work. It runs until the
 * process is stopped; the data lives in memory only.
 */
public class MongoCompatibleServer {
  public static void main(String[] args) throws InterruptedException {
    if (args.length != 2) {
      System.err.println("usage: MongoCompatibleServer <host> <port>");
      System.exit(2);
    }
    String host = args[0];
    int port = Integer.parseInt(args[1]);

    MemoryBackend backend = new MemoryBackend();
    backend.version(ServerVersion.MONGO_5_0);
    MongoServer server = new MongoServer(backend);
    server.enableOplog();
    server.bind(host, port);
    System.out.println("MONGO-READY listening on " + host + ":" + port);

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.shutdownNow();
                  stopped.countDown();
                }));
    stopped.await();
  }
}
