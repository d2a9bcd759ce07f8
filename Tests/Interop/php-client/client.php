<?php
// A PHP client as the original metrics-server's: it reads a file of JSON-lines messages and
// writes it whole to the gateway's Unix socket with one fwrite, then closes the connection.
//
//   php client.php SOCKET_PATH MESSAGES_FILE
//
// Exit status 0 when the connection and the write succeeded.
if ($argc != 3) {
    fwrite(STDERR, "usage: php client.php SOCKET_PATH MESSAGES_FILE\n");
    exit(2);
}
$messages = file_get_contents($argv[2]);
if ($messages === false) {
    fwrite(STDERR, "cannot read {$argv[2]}\n");
    exit(1);
}
$socket = stream_socket_client("unix://" . $argv[1], $errno, $errstr, 30);
if (!$socket) {
    fwrite(STDERR, "connect: $errstr ($errno)\n");
    exit(1);
}
$written = fwrite($socket, $messages);
fclose($socket);
if ($written !== strlen($messages)) {
    fwrite(STDERR, "wrote $written of " . strlen($messages) . " bytes\n");
    exit(1);
}
exit(0);
